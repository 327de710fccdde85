package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.oci.OciJson;
import dev.berth.engine.runtime.TaskInput;
import dev.berth.engine.runtime.TerminalProcess;
import dev.berth.engine.runtime.spec.RuntimeSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An exec on a terminal, run by a conmon of its own in exec mode ({@code --exec -t}): the same
 * mechanism as a task's terminal ({@link ConmonConsole}: the pty master held by conmon, keystrokes
 * through its attach socket, output to its log, resizes on its control FIFO) rather than a second
 * one in the daemon. {@code runc exec} alone cannot do it: without {@code --detach} it relays the pty
 * to its own stdio and sizes it from its own stdin, which is no terminal here, and with it someone
 * must hold the console socket and the master for the process's life, which is conmon's job and
 * outlives the daemon. The exec's files live in {@code <bundle>/exec-<name>.d/} (the process spec,
 * conmon's sockets, FIFOs and pid file, {@code log}, and in {@link #exitDir} the exit file conmon names
 * after the container id); its pid is {@link ExecPids#file}, as for every named exec, removed once the exit is
 * seen. Thread-safe.
 */
final class ConmonTerminalExec implements TerminalProcess {
    private final String what;
    private final Path dir;
    private final Path pidFile;
    private final Path exitFile;
    private final long pid;
    private final long monitorPid;

    private ConmonTerminalExec(String what, Path dir, Path pidFile, Path exitFile, long pid, long monitorPid) {
        this.what = what;
        this.dir = dir;
        this.pidFile = pidFile;
        this.exitFile = exitFile;
        this.pid = pid;
        this.monitorPid = monitorPid;
    }

    /** The directory of exec {@code name}'s files in {@code bundle}. */
    static Path dir(Path bundle, String name) {
        return bundle.resolve("exec-" + name + ".d");
    }

    /**
     * Where conmon writes the exec's exit file, named after the container: a directory of its own, so
     * that a container called {@code log}, {@code ctl} or {@code attach} does not meet conmon's files.
     */
    static Path exitDir(Path dir) {
        return dir.resolve("exit");
    }

    /** Starts {@code process} (its terminal set here) as exec {@code name} of task {@code ns/id}. */
    static ConmonTerminalExec start(RuntimeOptions options, OciRuntimeCli cli, Path socketsDir, String ns, String id,
            Path bundle, String name, RuntimeSpec.Process process) {
        String what = "exec " + name + " of task " + ns + "/" + id;
        Path pidFile = ExecPids.file(bundle, name);
        Path dir = dir(bundle, name);
        try {
            if (Files.exists(pidFile)) {
                throw BerthException.alreadyExists("an exec named %s is already running in task %s/%s", name, ns, id);
            }
            // an earlier exec of this name that has ended: its files make way
            dev.berth.engine.fs.FileTree.deleteRecursively(dir);
            Files.createDirectories(exitDir(dir));
            Path spec = dir.resolve("process.json");
            Files.write(spec, OciJson.write(process.withTerminal(true)));
            long pid = ConmonLauncher.launch(ConmonLauncher.execArgs(options, cli, ns, id, name, dir, pidFile, spec,
                    socketsDir), ConmonLauncher.env(), dir.resolve("conmon.out"));
            return new ConmonTerminalExec(what, dir, pidFile, exitDir(dir).resolve(id), pid, TaskFiles.readPid(dir.resolve("conmon.pid")));
        } catch (IOException e) {
            throw BerthException.unavailable("%s: cannot prepare %s: %s", what, dir, e.getMessage());
        } catch (BerthException e) {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException x) {
                // the next exec of this name reports it
            }
            throw e.wrap("starting " + what + " on a terminal");
        }
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public Path log() {
        return dir.resolve("log");
    }

    @Override
    public TaskInput openStdin() {
        return ConmonStdin.attach(dir, what);
    }

    @Override
    public void resize(int width, int height) {
        if (exit() == null) {
            ConmonConsole.resize(dir, what, width, height);
        }
    }

    @Override
    public Exit exit() {
        TaskFiles.Exit x = TaskFiles.readExit(exitFile);
        // conmon writes the exit file after draining the pty into the log; it exits right after
        if (x == null || monitorPid > 0 && TaskFiles.alive(monitorPid, "conmon")) {
            return null;
        }
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // listed as running until the task goes; killExec checks the cgroup anyway
        }
        return new Exit(x.code(), x.at());
    }
}
