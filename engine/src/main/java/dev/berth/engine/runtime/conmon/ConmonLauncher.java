package dev.berth.engine.runtime.conmon;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.OciJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import jnr.constants.platform.Fcntl;
import jnr.constants.platform.OpenFlags;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.SpawnFileAction;

/**
 * Starts conmon for a container create and reads its answer from the sync pipe.
 *
 * <p>conmon reports on the file descriptor named by {@code _OCI_SYNCPIPE}: one JSON line
 * {@code {"data": <container pid>}} once the runtime has created the container, or
 * {@code {"data": -1, "message": "<runtime stderr>"}} when it failed. A JVM child gets no extra
 * descriptors through {@link ProcessBuilder}, so conmon is spawned with {@code posix_spawn}: the
 * pipe's write end becomes fd 3, stdin is /dev/null, stdout/stderr go to a file in the bundle
 * (conmon's own early errors), and every other descriptor of the JVM is closed in the child so that
 * the long-lived monitor holds none of the daemon's files or sockets. The first conmon process exits
 * at once (after writing its pid file) and is reaped here; its daemonized child supervises the
 * container. Thread-safe.
 */
final class ConmonLauncher {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();
    private static final int SYNC_FD = 3;

    private ConmonLauncher() {
    }

    /**
     * Spawns {@code argv} with {@code env} and waits for conmon's report.
     *
     * @return the container's init pid
     * @throws BerthException FAILED_PRECONDITION with the runtime's message when the create failed
     */
    static long launch(List<String> argv, Map<String, String> env, Path outputFile) {
        int[] fds = new int[2];
        if (POSIX.pipe(fds) < 0) {
            throw BerthException.unavailable("cannot create a pipe for conmon: %s", POSIX.strerror(POSIX.errno()));
        }
        int readFd = fds[0];
        int writeFd = fds[1];
        try {
            POSIX.fcntlInt(readFd, Fcntl.F_SETFD, 1);
            List<SpawnFileAction> actions = new ArrayList<>();
            actions.add(SpawnFileAction.open("/dev/null", 0, OpenFlags.O_RDONLY.intValue(), 0));
            actions.add(SpawnFileAction.open(outputFile.toString(), 1,
                    OpenFlags.O_WRONLY.intValue() | OpenFlags.O_CREAT.intValue() | OpenFlags.O_APPEND.intValue(), 0640));
            actions.add(SpawnFileAction.dup(1, 2));
            actions.add(SpawnFileAction.dup(writeFd, SYNC_FD));
            for (int fd : openDescriptors()) {
                if (fd > SYNC_FD) {
                    actions.add(SpawnFileAction.close(fd));
                }
            }
            List<String> envp = new ArrayList<>();
            env.forEach((k, v) -> envp.add(k + "=" + v));
            envp.add("_OCI_SYNCPIPE=" + SYNC_FD);
            long pid = POSIX.posix_spawnp(argv.get(0), actions, argv, envp);
            if (pid <= 0) {
                throw BerthException.unavailable("cannot start %s: %s; is conmon installed?", argv.get(0),
                        POSIX.strerror(POSIX.errno()));
            }
            POSIX.close(writeFd);
            writeFd = -1;
            String reply = readLine(readFd);
            int[] status = new int[1];
            POSIX.waitpid(pid, status, 0);
            return parse(reply, outputFile);
        } finally {
            POSIX.close(readFd);
            if (writeFd >= 0) {
                POSIX.close(writeFd);
            }
        }
    }

    private static List<Integer> openDescriptors() {
        List<Integer> fds = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path p : ds) {
                fds.add(Integer.parseInt(p.getFileName().toString()));
            }
        } catch (IOException | NumberFormatException e) {
            throw BerthException.internal("cannot list /proc/self/fd", e);
        }
        return fds;
    }

    /** Reads up to the first newline or EOF (the write end closes when conmon exits). */
    private static String readLine(int fd) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[4096];
        while (true) {
            int n = POSIX.read(fd, chunk, chunk.length);
            if (n < 0) {
                int errno = POSIX.errno();
                if (errno == jnr.constants.platform.Errno.EINTR.intValue()) {
                    continue;
                }
                throw BerthException.unavailable("reading conmon's sync pipe: %s", POSIX.strerror(errno));
            }
            if (n == 0) {
                break;
            }
            buf.write(chunk, 0, n);
            if (buf.toString(java.nio.charset.StandardCharsets.UTF_8).contains("\n")) {
                break;
            }
        }
        return buf.toString(java.nio.charset.StandardCharsets.UTF_8).trim();
    }

    private static long parse(String reply, Path outputFile) {
        if (reply.isEmpty()) {
            String out = "";
            try {
                out = Files.exists(outputFile) ? Files.readString(outputFile).trim() : "";
            } catch (IOException e) {
                // nothing more to report
            }
            throw new BerthException(ErrorCategory.FAILED_PRECONDITION,
                    "conmon exited without reporting the container create" + (out.isEmpty() ? "" : ": " + out));
        }
        String line = reply.lines().findFirst().orElse("");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = OciJson.MAPPER.readValue(line, Map.class);
        long data = m.get("data") instanceof Number n ? n.longValue() : -1;
        if (data <= 0) {
            Object msg = m.get("message");
            throw new BerthException(ErrorCategory.FAILED_PRECONDITION,
                    msg == null ? "the OCI runtime failed to create the container" : msg.toString().trim());
        }
        return data;
    }
}
