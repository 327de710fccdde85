package dev.berth.controller.cli;

import dev.berth.controller.BuildInfo;
import dev.berth.controller.api.ApiResponse;
import dev.berth.controller.api.ApiServer;
import dev.berth.engine.Engine;
import dev.berth.engine.errdefs.BerthException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Commands while a daemon owns the root: the client sends its arguments to the daemon
 * ({@code POST /cli}), which runs the same command in its own JVM (on its own engine for store
 * commands) and answers the output and exit code, so {@code berth get}, {@code berth images ls} or
 * {@code berth gc} print the same thing with or without a daemon. Two answers: one JSON object
 * ({@code code}, {@code out}, {@code err}) for {@link EngineCommand}'s forwarding, or, when the
 * request says {@code "stream": true} (the {@link ThinClient}), frames streamed as the command
 * writes them (see {@link ThinClient.Frames}), which is how {@code logs -f}, {@code events} and
 * {@code get -w} work through it. Only {@link #FORWARDED} commands run here; the others still run in
 * the client. Thread-safe.
 */
public final class Forwarding {
    private Forwarding() {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** Commands (qualified names) a daemon runs for a client. docs/cli.md lists them; CliForwardingIT checks them. */
    public static final Set<String> FORWARDED = Set.of(
            "berth version", "berth get", "berth describe", "berth logs", "berth events", "berth delete",
            "berth apply", "berth diff", "berth pull",
            "berth images ls", "berth images rm", "berth images check", "berth images unpack",
            "berth content ls", "berth content verify", "berth content active", "berth content rm",
            "berth snapshots ls", "berth snapshots info", "berth snapshots usage", "berth snapshots mounts",
            "berth snapshots rm", "berth snapshots cleanup",
            "berth tasks ls", "berth tasks kill", "berth tasks pause", "berth tasks resume",
            "berth gc", "berth leases ls", "berth leases rm",
            "berth push", "berth images import", "berth images export", "berth images mount", "berth images unmount",
            "berth content get", "berth tasks exec", "berth tasks stats", "berth containers ls", "berth containers rm", "berth run", "berth stats",
            "berth rollout status", "berth rollout history", "berth rollout undo");

    /**
     * What a forwarded command knows of its client: whether it watches a terminal, its working
     * directory (relative paths in the command line are the client's), where binary standard output
     * goes (frames to the client), and how to tell the client which task it is attached to (so that
     * its Ctrl-C reaches the container, see {@link ThinClient}).
     */
    private record Client(boolean tty, java.nio.file.Path cwd, java.io.OutputStream stdout,
            java.util.function.BiConsumer<String, String> attached) {
    }

    private static final ThreadLocal<Engine> DAEMON_ENGINE = new ThreadLocal<>();
    private static final ThreadLocal<Client> CLIENT = new ThreadLocal<>();

    /** Whether the user watches a terminal: the client's, for a command running here for it. */
    static boolean interactive() {
        Client client = CLIENT.get();
        return client != null ? client.tty() : System.console() != null;
    }

    /** A path from the command line: relative ones are relative to the client's working directory. */
    static java.nio.file.Path path(String s) {
        Client client = CLIENT.get();
        java.nio.file.Path p = java.nio.file.Path.of(s);
        return client == null || client.cwd() == null ? p : client.cwd().resolve(p);
    }

    /** Where a command writes bytes (blobs, archives) for standard output: the client's. */
    static java.io.OutputStream stdout() {
        Client client = CLIENT.get();
        return client == null ? System.out : client.stdout();
    }

    /** Whether this thread runs a command for a client (signals, stdin and the like are the client's then). */
    static boolean forClient() {
        return CLIENT.get() != null;
    }

    /** Tells the client that the command is attached to task {@code namespace/id} (run without -d). */
    static void attached(String namespace, String id) {
        Client client = CLIENT.get();
        if (client != null) {
            client.attached().accept(namespace, id);
        }
    }

    /** The engine of the daemon this thread runs a forwarded command in, if any. */
    static Engine daemonEngine() {
        return DAEMON_ENGINE.get();
    }

    /** Serves {@code POST /cli} on the daemon's API, running forwarded commands on {@code engine}. */
    public static void serve(ApiServer api, Engine engine) {
        api.route("POST", "/cli", req -> {
            JsonNode body = JSON.readTree(req.bodyText());
            List<String> args = new ArrayList<>();
            body.path("args").forEach(a -> args.add(a.asText()));
            boolean tty = body.path("tty").asBoolean(false);
            String cwdText = body.path("cwd").asText("");
            java.nio.file.Path cwd = cwdText.startsWith("/") ? java.nio.file.Path.of(cwdText) : null;
            if (!body.path("stream").asBoolean(false)) {
                return ApiResponse.ok(runInDaemon(engine, args, tty, cwd));
            }
            String client = body.path("version").asText("unknown");
            return ApiResponse.stream(sink -> stream(engine, args, client, tty, cwd, sink, api));
        });
    }

    private static void stream(Engine engine, List<String> args, String client, boolean tty, java.nio.file.Path cwd,
            ApiResponse.Sink sink, ApiServer api)
            throws Exception {
        String name = commandName(args);
        if (name == null || !FORWARDED.contains(name)) {
            sink.sendText("n0\n");
            return;
        }
        String mine = BuildInfo.version();
        if (!client.equals(mine) && !name.equals("berth version")) {
            String msg = "berth: this client is version " + client + " but the daemon at " + api.socket() + " runs " + mine
                    + "; restart the daemon with this version (or use the client of the daemon's version)\n";
            sink.sendText(frame('e', msg) + frame('x', "1"));
            return;
        }
        PrintWriter out = new PrintWriter(new FrameWriter('o', sink), true);
        PrintWriter err = new PrintWriter(new FrameWriter('e', sink), true);
        java.io.OutputStream bytes = new FrameStream(sink, out);
        Client c = new Client(tty, cwd, bytes, (ns, id) -> {
            out.flush();
            sendFrame(sink, 't', ns + "/" + id);
        });
        int code = run(engine, args, c, out, err);
        out.flush();
        err.flush();
        sink.sendText(frame('x', Integer.toString(code)));
    }

    private static String frame(char type, String text) {
        return type + Integer.toString(text.getBytes(StandardCharsets.UTF_8).length) + "\n" + text;
    }

    /** The qualified name of the command {@code args} run, or null when they do not parse. */
    static String commandName(List<String> args) {
        CommandLine probe = Main.treeFor(args.toArray(String[]::new));
        CommandLine.ParseResult pr;
        try {
            pr = probe.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            return null;
        }
        while (pr.hasSubcommand()) {
            pr = pr.subcommand();
        }
        return pr.commandSpec().qualifiedName();
    }

    /**
     * Runs a forwarded command line in the daemon on {@code engine}; refuses anything not in
     * {@link #FORWARDED}. Returns exit code, standard output and standard error.
     */
    public static Map<String, Object> runInDaemon(Engine engine, List<String> args, boolean tty,
            java.nio.file.Path cwd) {
        String name = commandName(args);
        if (name == null) {
            throw BerthException.invalid("cannot parse %s", String.join(" ", args));
        }
        if (!FORWARDED.contains(name)) {
            throw BerthException.invalid("%s cannot run through the daemon; stop the daemon to use it on the store directly",
                    name);
        }
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        PrintWriter o = new PrintWriter(out, true);
        // this answer is JSON text: binary output has no place in it
        java.io.OutputStream refuse = new java.io.OutputStream() {
            @Override
            public void write(int b) {
                throw BerthException.invalid("%s writes binary output, which needs the streaming client (bin/berth)", name);
            }
        };
        int code = run(engine, args, new Client(tty, cwd, refuse, (ns, id) -> { }), o, new PrintWriter(err, true));
        return Map.of("code", code, "out", out.toString(), "err", err.toString());
    }

    private static int run(Engine engine, List<String> args, Client client, PrintWriter out, PrintWriter err) {
        DAEMON_ENGINE.set(engine);
        CLIENT.set(client);
        try {
            return Main.run(out, err, args.toArray(String[]::new));
        } finally {
            DAEMON_ENGINE.remove();
            CLIENT.remove();
        }
    }

    private static void sendFrame(ApiResponse.Sink sink, char type, String text) {
        try {
            sink.sendText(frame(type, text));
        } catch (Exception e) {
            throw new UncheckedIOException("the client went away", new java.io.IOException(e));
        }
    }

    /**
     * Binary standard output as {@code o} frames of raw bytes (blobs, archives), kept in order with
     * the command's text output (which is flushed first).
     */
    private static final class FrameStream extends java.io.OutputStream {
        private final ApiResponse.Sink sink;
        private final PrintWriter text;
        private final byte[] buf = new byte[1 << 16];
        private int n;

        FrameStream(ApiResponse.Sink sink, PrintWriter text) {
            this.sink = sink;
            this.text = text;
        }

        @Override
        public synchronized void write(int b) throws java.io.IOException {
            if (n == buf.length) {
                flush();
            }
            buf[n++] = (byte) b;
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws java.io.IOException {
            while (len > 0) {
                if (n == buf.length) {
                    flush();
                }
                int k = Math.min(len, buf.length - n);
                System.arraycopy(b, off, buf, n, k);
                n += k;
                off += k;
                len -= k;
            }
        }

        @Override
        public synchronized void flush() throws java.io.IOException {
            text.flush();
            if (n == 0) {
                return;
            }
            byte[] head = ("o" + n + "\n").getBytes(StandardCharsets.US_ASCII);
            try {
                sink.sendBytes(head, 0, head.length);
                sink.sendBytes(buf, 0, n);
            } catch (Exception e) {
                throw new java.io.IOException("the client went away", e);
            } finally {
                n = 0;
            }
        }
    }

    /**
     * Sends what a command writes as frames of one type, on flush (PrintWriter's println and printf
     * flush). A client that went away makes the write fail with an unchecked exception, which
     * PrintWriter does not swallow, so a {@code logs -f} in the daemon ends with its client.
     */
    private static final class FrameWriter extends Writer {
        private final char type;
        private final ApiResponse.Sink sink;
        private final StringBuilder buf = new StringBuilder();

        FrameWriter(char type, ApiResponse.Sink sink) {
            this.type = type;
            this.sink = sink;
        }

        @Override
        public synchronized void write(char[] c, int off, int len) {
            buf.append(c, off, len);
            if (buf.length() >= 8192) {
                flush();
            }
        }

        @Override
        public synchronized void flush() {
            // an empty flush still sends an empty frame: how a waiting command (get -w) notices that
            // its client went away
            String text = buf.toString();
            buf.setLength(0);
            try {
                sink.sendText(frame(type, text));
            } catch (Exception e) {
                throw new UncheckedIOException("the client went away", new java.io.IOException(e));
            }
        }

        @Override
        public void close() {
            flush();
        }
    }
}
