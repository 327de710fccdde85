package dev.berth.controller.metrics;

import dev.berth.engine.cgroups.CgroupSample;
import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.TaskStatus;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * containerd's per-container cgroup metrics ({@code container_*}, labels {@code container_id},
 * {@code namespace}, {@code runtime}) for every live task, read from each task's cgroup at scrape
 * time. Nothing is cached between scrapes, so a deleted container's series are gone from the next
 * scrape. Stopped tasks are left out, as containerd stops collecting a task when it exits.
 * Thread-safe (scrapes may run concurrently; each reads afresh).
 */
public final class ContainerMetrics implements MultiCollector {
    /** The {@code runtime} label: containerd's name for the runc runtime that Berth's tasks use. */
    public static final String RUNTIME = "io.containerd.runc.v2";
    private static final List<String> BASE = List.of("container_id", "namespace", "runtime");

    private final TaskRuntime runtime;

    public ContainerMetrics(TaskRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> families = new LinkedHashMap<>();
        for (TaskStatus t : runtime.list(null)) {
            if (t.state() == TaskState.STOPPED) {
                continue;
            }
            List<CgroupSample> samples;
            try {
                samples = runtime.samples(t.namespace(), t.id());
            } catch (BerthException e) {
                if (e.category() == ErrorCategory.NOT_FOUND) {
                    continue; // deleted between list and read
                }
                throw e;
            }
            for (CgroupSample s : samples) {
                List<String> names = new ArrayList<>(BASE);
                names.addAll(s.labelNames());
                List<String> values = new ArrayList<>(List.of(t.id(), t.namespace(), RUNTIME));
                values.addAll(s.labelValues());
                families.computeIfAbsent(s.name(), n -> GaugeSnapshot.builder().name(n).help(s.help()))
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(s.value())
                                .labels(Labels.of(names, values)).build());
            }
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        families.values().forEach(b -> out.metricSnapshot(b.build()));
        return out.build();
    }
}
