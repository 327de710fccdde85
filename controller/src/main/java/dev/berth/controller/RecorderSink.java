package dev.berth.controller;

import dev.berth.controller.events.EventRecorder;
import dev.berth.controller.metrics.DaemonMetrics;
import dev.berth.crd.ObjectRef;
import dev.berth.reconcilers.Drift;
import dev.berth.reconcilers.EventSink;

/** Reconcilers' events go to the daemon's {@link EventRecorder} and are counted in its metrics. Thread-safe. */
final class RecorderSink implements EventSink {
    private final EventRecorder recorder;
    private final DaemonMetrics metrics;

    RecorderSink(EventRecorder recorder, DaemonMetrics metrics) {
        this.recorder = recorder;
        this.metrics = metrics;
    }

    @Override
    public void normal(ObjectRef object, String reason, String message) {
        recorder.normal(object, reason, message);
        metrics.event(object, "Normal", reason);
    }

    @Override
    public void warning(ObjectRef object, String reason, String message) {
        recorder.warning(object, reason, message);
        metrics.event(object, "Warning", reason);
    }

    @Override
    public void drift(ObjectRef object, Drift what, String message) {
        warning(object, DRIFT_REPAIRED, message);
        metrics.drift(object, what.label());
    }
}
