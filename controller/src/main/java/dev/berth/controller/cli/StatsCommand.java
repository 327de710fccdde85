package dev.berth.controller.cli;

import dev.berth.engine.Engine;
import dev.berth.engine.cgroups.CgroupSample;
import dev.berth.engine.cgroups.CgroupStats;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code berth stats [ID...]}: per-container CPU %, memory use and limit, block I/O and pids, as
 * {@code podman stats} / {@code docker stats} show them, refreshed every interval until interrupted,
 * or once with {@code --no-stream}. CPU % is the CPU time used between two samples over the wall
 * time between them (100 % = one CPU busy), so even one sample takes two reads an interval apart.
 * While a daemon runs the command runs in it (the cgroup reads happen there, not in the client).
 */
@Command(name = "stats", description = "Live CPU, memory, block I/O and pids of running containers (like podman stats).")
public final class StatsCommand extends EngineCommand {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Option(names = "--no-stream", description = "Print one sample and exit.")
    boolean noStream;

    @Option(names = {"-o", "--output"}, defaultValue = "table", description = "table or json (one JSON array per sample).")
    String output;

    @Option(names = {"-A", "--all-namespaces"}, description = "Containers of every namespace.")
    boolean all;

    @Option(names = "--interval", defaultValue = "2", paramLabel = "SECONDS",
            description = "Seconds between samples (default: ${DEFAULT-VALUE}; 1 for --no-stream's two reads).")
    double interval;

    @Parameters(paramLabel = "ID", arity = "0..*", description = "Containers (task ids); default: every running one.")
    List<String> ids = new ArrayList<>();

    /** One reading of one task. */
    record Reading(String namespace, String id, long nanos, CgroupStats stats, long blockRead, long blockWrite) {
    }

    @Override
    protected int run(Engine engine) throws Exception {
        if (!output.equals("table") && !output.equals("json")) {
            throw BerthException.invalid("-o %s: output must be table or json", output);
        }
        if (interval <= 0) {
            throw BerthException.invalid("--interval %s: must be more than 0 seconds", interval);
        }
        TaskRuntime rt = engine.runtime();
        Duration step = Duration.ofMillis((long) ((noStream ? Math.min(interval, 1) : interval) * 1000));
        Map<String, Reading> before = read(rt);
        while (true) {
            Thread.sleep(step.toMillis());
            Map<String, Reading> now = read(rt);
            print(before, now);
            if (noStream || out().checkError()) {
                return 0;
            }
            before = now;
        }
    }

    private Map<String, Reading> read(TaskRuntime rt) {
        Map<String, Reading> out = new LinkedHashMap<>();
        List<TaskStatus> tasks;
        if (ids.isEmpty()) {
            tasks = rt.list(all ? null : namespace).stream()
                    .filter(t -> t.state() == TaskState.RUNNING || t.state() == TaskState.PAUSED).toList();
        } else {
            tasks = ids.stream().map(id -> rt.state(namespace, id)).toList();
        }
        for (TaskStatus t : tasks) {
            try {
                CgroupStats s = rt.stats(t.namespace(), t.id());
                long[] io = blockIo(rt.samples(t.namespace(), t.id()));
                out.put(t.namespace() + "/" + t.id(), new Reading(t.namespace(), t.id(), System.nanoTime(), s, io[0], io[1]));
            } catch (BerthException e) {
                if (!ids.isEmpty()) {
                    throw BerthException.precondition("container %s/%s has no cgroup to read (is it running?): %s",
                            t.namespace(), t.id(), e.getMessage());
                }
                // went away between list and read: left out of this sample
            }
        }
        return out;
    }

    /** Bytes read and written: v1 blkio service bytes (Read/Write), v2 io.stat rbytes/wbytes. */
    static long[] blockIo(List<CgroupSample> samples) {
        long r = 0;
        long w = 0;
        for (CgroupSample s : samples) {
            switch (s.name()) {
                case "container_blkio_io_service_bytes_recursive_bytes" -> {
                    String op = s.labelValues().get(0);
                    if (op.equals("Read")) {
                        r += (long) s.value();
                    } else if (op.equals("Write")) {
                        w += (long) s.value();
                    }
                }
                case "container_io_rbytes_bytes" -> r += (long) s.value();
                case "container_io_wbytes_bytes" -> w += (long) s.value();
                default -> {
                }
            }
        }
        return new long[] {r, w};
    }

    /** CPU % between two readings: CPU nanoseconds used over wall nanoseconds passed, times 100. */
    static double cpuPercent(Reading a, Reading b) {
        if (a == null || a.stats().cpuUsageNanos() == null || b.stats().cpuUsageNanos() == null || b.nanos() <= a.nanos()) {
            return 0;
        }
        return 100.0 * (b.stats().cpuUsageNanos() - a.stats().cpuUsageNanos()) / (b.nanos() - a.nanos());
    }

    private void print(Map<String, Reading> before, Map<String, Reading> now) throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (Map.Entry<String, Reading> e : now.entrySet()) {
            Reading r = e.getValue();
            CgroupStats s = r.stats();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("namespace", r.namespace());
            m.put("id", r.id());
            m.put("cpuPercent", Math.round(cpuPercent(before.get(e.getKey()), r) * 100) / 100.0);
            m.put("memoryUsage", s.memoryUsage());
            m.put("memoryLimit", s.memoryLimit());
            m.put("memoryPercent", s.memoryUsage() == null || s.memoryLimit() == null || s.memoryLimit() == 0 ? null
                    : Math.round(10000.0 * s.memoryUsage() / s.memoryLimit()) / 100.0);
            m.put("pids", s.pidsCurrent());
            m.put("pidsLimit", s.pidsLimit());
            m.put("blockRead", r.blockRead());
            m.put("blockWrite", r.blockWrite());
            rows.add(m);
        }
        if (output.equals("json")) {
            out().println(JSON.writeValueAsString(rows));
            out().flush();
            return;
        }
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"NAMESPACE", "ID", "CPU %", "MEM USAGE / LIMIT", "MEM %", "BLOCK I/O", "PIDS"});
        for (Map<String, Object> m : rows) {
            table.add(new String[] {(String) m.get("namespace"), (String) m.get("id"),
                String.format(Locale.ROOT, "%.2f%%", (Double) m.get("cpuPercent")),
                size(m.get("memoryUsage")) + " / " + (m.get("memoryLimit") == null ? "unlimited" : size(m.get("memoryLimit"))),
                m.get("memoryPercent") == null ? "--" : String.format(Locale.ROOT, "%.2f%%", (Double) m.get("memoryPercent")),
                size(m.get("blockRead")) + " / " + size(m.get("blockWrite")),
                m.get("pids") == null ? "--" : m.get("pids").toString()});
        }
        if (!noStream && Forwarding.interactive()) {
            out().print("\033[2J\033[H"); // redraw in place, as podman stats does on a terminal
        }
        Table.print(out(), table);
        out().flush();
    }

    private static String size(Object bytes) {
        return bytes == null ? "--" : humanSize(((Number) bytes).longValue());
    }
}
