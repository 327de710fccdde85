package dev.berth.engine.runtime;

/** The outcome of an exec: its exit status (128+signal for a signal death) and captured output. Immutable. */
public record ExecResult(int exitCode, String stdout, String stderr) {
}
