package dev.berth.controller.grpc;

import com.google.protobuf.Any;
import dev.berth.api.containerd.runc.v1.ProcessDetails;
import dev.berth.api.containerd.services.tasks.v1.CloseIORequest;
import dev.berth.api.containerd.services.tasks.v1.ListPidsResponse;
import dev.berth.api.containerd.services.tasks.v1.MetricsRequest;
import dev.berth.api.containerd.services.tasks.v1.MetricsResponse;
import dev.berth.api.containerd.services.tasks.v1.ResizePtyRequest;
import dev.berth.api.containerd.services.tasks.v1.UpdateTaskRequest;
import dev.berth.api.containerd.types.Metric;
import dev.berth.api.containerd.v1.types.ProcessInfo;
import dev.berth.engine.cgroups.Resources;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.TaskProcess;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The Tasks methods that look into or adjust a live task rather than move it through its states:
 * ListPids (the task's cgroup, execs named), Metrics (cgroup v1 metrics from the engine's samples),
 * Update (resource limits through the runtime's {@code runc update}), CloseIO, ResizePty (a task's
 * terminal through its runtime, an exec's through {@link ExecProcesses}), and Checkpoint (refused: no
 * CRIU). Everything goes through the engine's {@link TaskRuntime}. Thread-safe.
 */
final class TaskControl {
    /** The Any type URL containerd gives OCI LinuxResources (ctr tasks update). */
    static final String RESOURCES_TYPE = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";
    private static final String DETAILS_TYPE = "containerd.runc.v1.ProcessDetails";
    /** Resource fields Berth's update applies; others with a value are refused by name. */
    private static final Map<String, Set<String>> APPLIED = Map.of(
            "memory", Set.of("limit", "reservation"),
            "cpu", Set.of("shares", "quota", "period", "cpus"),
            "pids", Set.of("limit"));

    private final TaskRuntime runtime;
    private final ExecProcesses execs;

    TaskControl(TaskRuntime runtime, ExecProcesses execs) {
        this.runtime = runtime;
        this.execs = execs;
    }

    private TaskStatus find(String ns, String id) {
        return runtime.find(ns, id).orElseThrow(() ->
                BerthException.notFound("container \"%s\" in namespace %s: not found", id, ns));
    }

    ListPidsResponse listPids(String ns, String id) {
        find(ns, id);
        ListPidsResponse.Builder b = ListPidsResponse.newBuilder();
        for (TaskProcess p : runtime.processes(ns, id)) {
            ProcessInfo.Builder info = ProcessInfo.newBuilder().setPid((int) p.pid());
            if (p.execId() != null) {
                info.setInfo(Any.newBuilder().setTypeUrl(DETAILS_TYPE)
                        .setValue(ProcessDetails.newBuilder().setExecId(p.execId()).build().toByteString()));
            }
            b.addProcesses(info);
        }
        return b.build();
    }

    /** One Metric per live task the filters select ({@code id==c1}, as ctr sends), read now. */
    MetricsResponse metrics(String ns, MetricsRequest request) {
        var keep = Filters.<TaskStatus>parse(request.getFiltersList(),
                t -> new Filters.Target(Map.of("id", t.id(), "status", t.state().text()), Map.of()));
        MetricsResponse.Builder b = MetricsResponse.newBuilder();
        for (TaskStatus t : runtime.list(ns)) {
            if (!t.state().alive() || !keep.test(t)) {
                continue;
            }
            var samples = runtime.samples(ns, t.id());
            if (samples.isEmpty()) {
                continue; // its cgroup went between the listing and the read: it has just stopped
            }
            b.addMetrics(Metric.newBuilder().setId(t.id()).setTimestamp(Protos.time(Instant.now()))
                    .setData(CgroupV2Metrics.isV2(samples) ? CgroupV2Metrics.of(samples)
                            : CgroupV1Metrics.of(samples)));
        }
        return b.build();
    }

    /** Applies the client's LinuxResources to the running task's cgroup. */
    void update(String ns, UpdateTaskRequest request) {
        String id = request.getContainerId();
        find(ns, id);
        if (!request.hasResources()) {
            return; // annotations only: runc has nothing to change
        }
        Any any = request.getResources();
        if (!any.getTypeUrl().equals(RESOURCES_TYPE)) {
            throw BerthException.invalid("resources: type %s is not OCI LinuxResources (%s)", any.getTypeUrl(),
                    RESOURCES_TYPE);
        }
        runtime.update(ns, id, resources(OciJson.MAPPER.readTree(any.getValue().toByteArray())));
    }

    static Resources resources(JsonNode r) {
        for (var e : r.properties()) {
            Set<String> applied = APPLIED.get(e.getKey());
            if (applied == null) {
                // a spec's device rules ride along with --resources files; runc update leaves devices alone too
                if (!e.getKey().equals("devices") && !e.getValue().isNull() && !e.getValue().isEmpty()) {
                    throw BerthException.invalid("resources.%s: Berth updates only memory.limit/reservation, "
                            + "cpu.shares/quota/period/cpus and pids.limit of a running task", e.getKey());
                }
                continue;
            }
            for (var f : e.getValue().properties()) {
                if (!applied.contains(f.getKey()) && !f.getValue().isNull()) {
                    throw BerthException.invalid("resources.%s.%s: Berth cannot update it on a running task; "
                            + "it updates memory.limit/reservation, cpu.shares/quota/period/cpus and pids.limit",
                            e.getKey(), f.getKey());
                }
            }
        }
        JsonNode mem = r.path("memory");
        JsonNode cpu = r.path("cpu");
        Long limit = number(mem, "limit", "memory.limit");
        Long quota = number(cpu, "quota", "cpu.quota");
        Long period = number(cpu, "period", "cpu.period");
        return new Resources(limit, number(mem, "reservation", "memory.reservation"), number(cpu, "shares", "cpu.shares"),
                quota, period, cpu.path("cpus").isTextual() && !cpu.path("cpus").asText().isEmpty()
                        ? cpu.path("cpus").asText() : null,
                number(r.path("pids"), "limit", "pids.limit"));
    }

    private static Long number(JsonNode parent, String field, String path) {
        JsonNode v = parent.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return null;
        }
        if (!v.isIntegralNumber()) {
            throw BerthException.invalid("resources.%s: %s is not a whole number", path, v);
        }
        long n = v.asLong();
        // 0 is "leave as it is" in runc update; Resources has null for that
        return n == 0 ? null : n;
    }

    /**
     * Checks that CloseIO names a task (and exec) that exists; the stdin it ends is its
     * {@link StdinRelay}'s (the caller's), and a process without one has nothing left to close.
     */
    void closeIO(String ns, CloseIORequest request) {
        find(ns, request.getContainerId());
        if (!request.getExecId().isEmpty()) {
            execs.process(ns, request.getContainerId(), request.getExecId());
        }
    }

    /**
     * Resizes the terminal of a task created with one ({@code ctr run -t}), or of an exec started on
     * one; FAILED_PRECONDITION for a process without a terminal or one that has exited.
     */
    void resizePty(String ns, ResizePtyRequest request) {
        find(ns, request.getContainerId());
        if (request.getExecId().isEmpty()) {
            runtime.resizePty(ns, request.getContainerId(), request.getWidth(), request.getHeight());
            return;
        }
        execs.resize(ns, request.getContainerId(), request.getExecId(), request.getWidth(), request.getHeight());
    }

    static BerthException checkpointRefused(String id) {
        return new BerthException(ErrorCategory.NOT_IMPLEMENTED, "Tasks/Checkpoint of task " + id
                + ": Berth does not checkpoint tasks (no CRIU support); pause it (ctr tasks pause) to freeze it instead");
    }
}
