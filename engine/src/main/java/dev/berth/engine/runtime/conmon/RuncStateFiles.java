package dev.berth.engine.runtime.conmon;

import dev.berth.engine.cgroups.CgroupVersion;
import dev.berth.engine.cgroups.Cgroups;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.TaskState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;

/**
 * Answers {@code runc state} from the files runc itself consults, without starting runc: runc keeps
 * {@code <root>/<id>/state.json} with the init's pid and start time and decides, in this order,
 * <em>paused</em> when the container's freezer cgroup is frozen; <em>stopped</em> when the init pid
 * is gone, is a zombie, or started at another time (the pid was reused); <em>created</em> while
 * {@code exec.fifo} exists (the init still waits for {@code runc start}); else <em>running</em>.
 *
 * <p>Every read that does not settle the answer (state.json missing, partial or unexpected, the
 * cgroup in state.json not the one Berth recorded, a freezer in transition or unreadable, an unknown
 * process state) yields empty, and the caller forks runc instead. Only for runc: crun keeps other
 * files. Stateless apart from its settings; thread-safe.
 */
final class RuncStateFiles {
    static final String STATE_FILE = "state.json";
    static final String EXEC_FIFO = "exec.fifo";

    /** More containers than a node runs; past it the cache starts again (entries of removed containers go). */
    private static final int CACHE_LIMIT = 4096;

    private final Cgroups cgroups;
    private final Path procRoot;
    /**
     * The last parse of each state.json with the file's identity: runc replaces the file (write and
     * rename) on every change, so the same inode, size and mtime mean the same content. A resync
     * asks for every container's state, and reading and parsing the ~10 KB file (it holds the whole
     * config) was a fifth of an idle resync's CPU; a stat is a single system call.
     */
    private final java.util.concurrent.ConcurrentHashMap<Path, Parsed> parsed = new java.util.concurrent.ConcurrentHashMap<>();

    private record Parsed(Object fileKey, long size, java.nio.file.attribute.FileTime modified, Init init) {
        boolean same(java.nio.file.attribute.BasicFileAttributes a) {
            return a.fileKey() != null && a.fileKey().equals(fileKey) && a.size() == size
                    && a.lastModifiedTime().equals(modified);
        }
    }

    /** @param procRoot {@code /proc} normally */
    RuncStateFiles(Cgroups cgroups, Path procRoot) {
        this.cgroups = cgroups;
        this.procRoot = procRoot;
    }

    /** Whether the files of {@code runtimeBinary} are the ones this class reads (the binary is runc). */
    static boolean understands(String runtimeBinary) {
        Path name = Path.of(runtimeBinary).getFileName();
        return name != null && name.toString().equals("runc");
    }

    /** The fields of state.json this class needs. */
    record Init(long pid, long startTicks, String cgroupV1Freezer, String cgroupV2) {
    }

    /** The two fields of /proc/<pid>/stat runc compares: the state letter and the start time in clock ticks. */
    record ProcStat(char state, long startTicks) {
    }

    /**
     * runc's state of the container whose state directory is {@code containerDir}
     * ({@code <root>/<id>}) and whose cgroup is {@code cgroupRelativePath}; empty when the files do
     * not settle it.
     */
    Optional<OciRuntimeCli.State> state(Path containerDir, String cgroupRelativePath) {
        Optional<Init> read = init(containerDir.resolve(STATE_FILE));
        if (read.isEmpty()) {
            return Optional.empty();
        }
        Init init = read.get();
        String runcCgroup = cgroups.version() == CgroupVersion.V2 ? init.cgroupV2() : init.cgroupV1Freezer();
        if (!sameCgroup(runcCgroup, cgroupRelativePath)) {
            return Optional.empty();
        }
        Optional<Boolean> frozen = cgroups.frozen(cgroupRelativePath);
        if (frozen.isEmpty()) {
            return Optional.empty();
        }
        if (frozen.get()) {
            return Optional.of(new OciRuntimeCli.State(TaskState.PAUSED, init.pid()));
        }
        Optional<ProcStat> stat;
        try {
            stat = parseStat(Files.readString(procRoot.resolve(Long.toString(init.pid())).resolve("stat"),
                    StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return stopped();
        } catch (IOException e) {
            return Optional.empty();
        }
        if (stat.isEmpty()) {
            return Optional.empty();
        }
        char s = stat.get().state();
        if (stat.get().startTicks() != init.startTicks() || s == 'Z' || s == 'X') {
            return stopped();
        }
        if ("RSDTtIWPK".indexOf(s) < 0) {
            return Optional.empty();
        }
        TaskState st = Files.exists(containerDir.resolve(EXEC_FIFO)) ? TaskState.CREATED : TaskState.RUNNING;
        return Optional.of(new OciRuntimeCli.State(st, init.pid()));
    }

    /** state.json's fields, parsed again only when the file was replaced since the last read. */
    private Optional<Init> init(Path file) {
        java.nio.file.attribute.BasicFileAttributes before;
        byte[] json;
        try {
            before = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            Parsed last = parsed.get(file);
            if (last != null && last.same(before)) {
                return Optional.of(last.init());
            }
            json = Files.readAllBytes(file);
        } catch (IOException e) {
            parsed.remove(file);
            return Optional.empty();
        }
        Optional<Init> init = parse(json);
        if (init.isEmpty() || before.size() != json.length) {
            // not understood, or replaced while it was read: never kept
            parsed.remove(file);
            return init;
        }
        if (parsed.size() >= CACHE_LIMIT) {
            parsed.clear();
        }
        parsed.put(file, new Parsed(before.fileKey(), before.size(), before.lastModifiedTime(), init.get()));
        return init;
    }

    private static Optional<OciRuntimeCli.State> stopped() {
        // runc state prints pid 0 for a stopped container
        return Optional.of(new OciRuntimeCli.State(TaskState.STOPPED, 0));
    }

    /** Whether runc's absolute cgroup directory is the recorded one (runc joins mount point and path). */
    static boolean sameCgroup(String runcPath, String relative) {
        if (runcPath == null || relative == null) {
            return false;
        }
        String rel = relative;
        while (rel.startsWith("/")) {
            rel = rel.substring(1);
        }
        return !rel.isEmpty() && runcPath.endsWith("/" + rel);
    }

    /**
     * {@code init_process_pid}, {@code init_process_start} and the freezer's cgroup directories from
     * state.json, skipping the rest (it holds the whole config); empty when any is missing, has the
     * wrong type, or the document is cut short.
     */
    static Optional<Init> parse(byte[] json) {
        long pid = -1;
        long start = -1;
        String v1 = null;
        String v2 = null;
        boolean paths = false;
        try (JsonParser p = OciJson.MAPPER.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return Optional.empty();
            }
            for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
                if (t != JsonToken.PROPERTY_NAME) {
                    return Optional.empty();
                }
                String name = p.currentName();
                JsonToken value = p.nextToken();
                switch (name) {
                    case "init_process_pid", "init_process_start" -> {
                        if (value != JsonToken.VALUE_NUMBER_INT) {
                            return Optional.empty();
                        }
                        if (name.equals("init_process_pid")) {
                            pid = p.getLongValue();
                        } else {
                            start = p.getLongValue();
                        }
                    }
                    case "cgroup_paths" -> {
                        if (value != JsonToken.START_OBJECT) {
                            return Optional.empty();
                        }
                        paths = true;
                        for (JsonToken c = p.nextToken(); c != JsonToken.END_OBJECT; c = p.nextToken()) {
                            if (c != JsonToken.PROPERTY_NAME) {
                                return Optional.empty();
                            }
                            String key = p.currentName();
                            if (p.nextToken() != JsonToken.VALUE_STRING) {
                                return Optional.empty();
                            }
                            if (key.equals("freezer")) {
                                v1 = p.getString();
                            } else if (key.isEmpty()) {
                                v2 = p.getString();
                            }
                        }
                    }
                    default -> {
                        if (value == null) {
                            return Optional.empty();
                        }
                        p.skipChildren();
                    }
                }
            }
            // anything after the closing brace means a file we do not understand
            if (p.nextToken() != null) {
                return Optional.empty();
            }
        } catch (JacksonException | IllegalStateException e) {
            return Optional.empty();
        }
        if (pid <= 0 || start < 0 || !paths) {
            return Optional.empty();
        }
        return Optional.of(new Init(pid, start, v1, v2));
    }

    /** The state letter and start time of a {@code /proc/<pid>/stat} line ({@link dev.berth.engine.sys.Processes#parseStat}). */
    static Optional<ProcStat> parseStat(String line) {
        return dev.berth.engine.sys.Processes.parseStat(line).map(st -> new ProcStat(st.state(), st.startTicks()));
    }
}
