package dev.berth.controller;

import dev.berth.controller.events.EventRecorder;
import dev.berth.crd.ObjectRef;
import dev.berth.reconcilers.EventSink;

/** Reconcilers' events go to the daemon's {@link EventRecorder}. Thread-safe. */
final class RecorderSink implements EventSink {
    private final EventRecorder recorder;

    RecorderSink(EventRecorder recorder) {
        this.recorder = recorder;
    }

    @Override
    public void normal(ObjectRef object, String reason, String message) {
        recorder.normal(object, reason, message);
    }

    @Override
    public void warning(ObjectRef object, String reason, String message) {
        recorder.warning(object, reason, message);
    }
}
