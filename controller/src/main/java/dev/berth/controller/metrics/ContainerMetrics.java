package dev.berth.controller.metrics;

import dev.berth.engine.cgroups.CgroupSample;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskSamples;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * containerd's per-container cgroup metrics ({@code container_*}, labels {@code container_id},
 * {@code namespace}, {@code runtime}) for every live task, read from each task's cgroup at scrape
 * time ({@link TaskRuntime#sampleLive}: the runtime keeps the cgroup files open, no value is kept),
 * so a deleted container's series are gone from the next scrape. Stopped tasks are left out, as
 * containerd stops collecting a task when it exits. Thread-safe (scrapes may run concurrently).
 */
public final class ContainerMetrics implements MultiCollector {
    /** The {@code runtime} label: containerd's name for the runc runtime that Berth's tasks use. */
    public static final String RUNTIME = "io.containerd.runc.v2";
    private static final String[] BASE = {"container_id", "namespace", "runtime"};

    private final TaskRuntime runtime;

    public ContainerMetrics(TaskRuntime runtime) {
        this.runtime = runtime;
    }

    @Override
    public MetricSnapshots collect() {
        Map<String, GaugeSnapshot.Builder> families = new LinkedHashMap<>();
        for (TaskSamples t : runtime.sampleLive()) {
            String[] base = {t.id(), t.namespace(), RUNTIME};
            // one Labels per container for the families without labels of their own (most of them):
            // Labels.of sorts and validates, which adds up over thousands of series per scrape
            Labels shared = Labels.of(BASE, base);
            for (CgroupSample s : t.samples()) {
                Labels labels;
                if (s.labelNames().isEmpty()) {
                    labels = shared;
                } else {
                    int own = s.labelNames().size();
                    String[] names = Arrays.copyOf(BASE, BASE.length + own);
                    String[] values = Arrays.copyOf(base, BASE.length + own);
                    for (int i = 0; i < own; i++) {
                        names[BASE.length + i] = s.labelNames().get(i);
                        values[BASE.length + i] = s.labelValues().get(i);
                    }
                    labels = Labels.of(names, values);
                }
                families.computeIfAbsent(s.name(), n -> GaugeSnapshot.builder().name(n).help(s.help()))
                        .dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().value(s.value()).labels(labels).build());
            }
        }
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        families.values().forEach(b -> out.metricSnapshot(b.build()));
        return out.build();
    }
}
