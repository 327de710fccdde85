package dev.berth.controller.cli;

import dev.berth.controller.BuildInfo;
import dev.berth.controller.api.ApiSocket;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The {@code berth} executable's entry point. When a daemon answers on the local API socket, the
 * command line goes to it ({@code POST /cli}, see {@link Forwarding}) and this class only copies the
 * daemon's output frames to stdout/stderr and exits with the code the daemon sends: the process
 * loads nothing but JDK classes (no picocli, Jackson, Jetty, engine), which is what makes a
 * daemon-backed command start in a few tens of milliseconds. Without a daemon, or for a command the
 * daemon does not run for clients (it answers "not forwarded"), it runs {@link Main} in this same
 * JVM, as before. The socket is the config's {@code [plugins."dev.berth.v1"] api_address} (one
 * setting, {@code ControllerSettings.API_ADDRESS}; read here with a line scanner, not the TOML stack). Single-threaded; one use per process.
 */
public final class ThinClient {
    static final String DEFAULT_SOCKET = "/run/berth/berth.sock";

    private ThinClient() {
    }

    /**
     * {@code BERTH_THIN=0} always runs {@link Main} here; {@code BERTH_THIN=require} (tests, benchmarks)
     * fails instead of running a command here that the daemon should have run.
     */
    public static void main(String[] args) throws Exception {
        String mode = System.getenv("BERTH_THIN");
        if (!"0".equals(mode) && wanted(args)) {
            Integer code = forward(args);
            if (code != null) {
                System.exit(code);
            }
        }
        if ("require".equals(mode)) {
            System.err.println("berth: BERTH_THIN=require but the daemon did not run this command");
            System.exit(1);
        }
        Main.main(args);
    }

    /** Commands the client itself must run: the daemon, exec (a client of the daemon's exec API) and stdin readers. */
    private static boolean wanted(String[] args) {
        String first = firstWord(args);
        boolean export = first != null && (first.equals("images") || first.equals("image") || first.equals("i"))
                && "export".equals(wordAfter(args, first));
        for (String a : args) {
            if (a.equals("-") && !export || a.equals("--root") || a.startsWith("--root=")) {
                return false; // the daemon cannot read this process's stdin, nor open another root
            }
        }
        return first != null && !first.equals("daemon") && !first.equals("exec");
    }

    /** The first non-option word after {@code word}, or null. */
    private static String wordAfter(String[] args, String word) {
        boolean seen = false;
        for (String a : args) {
            if (seen && !a.startsWith("-")) {
                return a;
            }
            seen |= a.equals(word);
        }
        return null;
    }

    private static String firstWord(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("-c") || args[i].equals("--config")) {
                i++;
            } else if (!args[i].startsWith("-")) {
                return args[i];
            }
        }
        return null;
    }

    /** Runs the command line in the daemon; null when the client must run it itself. */
    static Integer forward(String[] args) {
        List<String> sent = absolutized(args);
        Path socket;
        try {
            socket = socket(configOf(sent));
        } catch (IOException | RuntimeException e) {
            return null; // Main reads the config and reports what is wrong with it
        }
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            if (plainVersion(sent) && !Files.exists(socket)) {
                // what VersionCommand prints then, without loading picocli and the config stack for it
                System.out.print(versionReport("not reachable: " + ApiSocket.missing(socket)));
                System.out.flush();
                return 0;
            }
            return null; // no daemon: Main runs the engine in-process or says how to start one
        }
        try (ch) {
            post(ch, sent);
            // an inner class, not a lambda: no invokedynamic bootstrap on this start-up path
            java.util.function.Consumer<String> attached = new java.util.function.Consumer<>() {
                @Override
                public void accept(String task) {
                    forwardSignals(socket, sent, task);
                }
            };
            return Frames.copy(new BufferedInputStream(Channels.newInputStream(ch), 65536), System.out, System.err,
                    attached);
        } catch (IOException e) {
            System.err.println("berth: the Berth daemon at " + socket + " broke the connection: " + e.getMessage());
            return 1;
        }
    }

    /**
     * Once the daemon says the command is attached to a task ({@code berth run} without -d), SIGINT,
     * SIGTERM and SIGHUP sent to this process go to the task's init, as with ctr run and an in-process
     * run: each one is a {@code tasks kill} sent to the daemon on a connection of its own.
     */
    @SuppressWarnings("restriction")
    private static void forwardSignals(Path socket, List<String> sent, String task) {
        int slash = task.indexOf('/');
        String ns = task.substring(0, slash);
        String id = task.substring(slash + 1);
        List<String> prefix = new ArrayList<>();
        for (int i = 0; i + 1 < sent.size() && (sent.get(i).equals("-c") || sent.get(i).equals("--config")); i += 2) {
            prefix.add(sent.get(i));
            prefix.add(sent.get(i + 1));
        }
        for (String name : List.of("INT", "TERM", "HUP")) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), s -> {
                    List<String> kill = new ArrayList<>(prefix);
                    kill.addAll(List.of("tasks", "kill", "-n", ns, "-s", "SIG" + name, id));
                    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                        ch.connect(UnixDomainSocketAddress.of(socket));
                        post(ch, kill);
                        Frames.copy(new BufferedInputStream(Channels.newInputStream(ch)), System.err, System.err, t -> { });
                    } catch (IOException | RuntimeException e) {
                        System.err.println("berth: forwarding SIG" + name + " to " + id + ": " + e.getMessage());
                    }
                });
            } catch (IllegalArgumentException e) {
                // the JVM reserves this signal here; leave its default
            }
        }
    }

    private static void post(SocketChannel ch, List<String> args) throws IOException {
        OutputStream os = Channels.newOutputStream(ch);
        byte[] body = requestBody(args);
        String head = "POST /cli HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Connection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
        os.write(head.getBytes(StandardCharsets.ISO_8859_1));
        os.write(body);
        os.flush();
    }

    /**
     * The arguments with the config file made absolute (the root command's {@code -c}/{@code --config},
     * which comes before the command word). Every other relative path is resolved by the daemon
     * against the working directory the request carries ({@code cwd}): only the command's own parser
     * knows which words are paths ({@code logs -f} is a flag, {@code run IMAGE ID sh -c ...} is the
     * container's command line).
     */
    static List<String> absolutized(String[] args) {
        List<String> out = new ArrayList<>();
        boolean global = true;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (global && (a.equals("-c") || a.equals("--config")) && i + 1 < args.length) {
                out.add(a);
                out.add(Path.of(args[++i]).toAbsolutePath().toString());
            } else if (global && a.startsWith("--config=")) {
                out.add("--config=" + Path.of(a.substring("--config=".length())).toAbsolutePath());
            } else {
                global &= a.startsWith("-");
                out.add(a);
            }
        }
        return out;
    }

    /** {@code berth [-c FILE] version} and nothing else. */
    private static boolean plainVersion(List<String> args) {
        int i = 0;
        if (i < args.size() && (args.get(i).equals("-c") || args.get(i).equals("--config"))) {
            i += 2;
        } else if (i < args.size() && args.get(i).startsWith("--config=")) {
            i++;
        }
        return args.size() == i + 1 && args.get(i).equals("version");
    }

    /**
     * {@code berth version}'s output, given its line about the server. JDK classes and {@link BuildInfo}
     * only, so the no-daemon answer needs nothing more on this start-up path.
     */
    static String versionReport(String server) {
        return "Client:\n  Version:  " + BuildInfo.version() + "\n  Revision: " + BuildInfo.revision()
                + "\n  Java:     " + Runtime.version() + "\nServer:\n  " + server + "\n";
    }

    private static Path configOf(List<String> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("-c") || a.equals("--config")) && i + 1 < args.size()) {
                return Path.of(args.get(i + 1));
            }
            if (a.startsWith("--config=")) {
                return Path.of(a.substring("--config=".length()));
            }
            if (!a.startsWith("-")) {
                break; // -c is the root command's option: it comes before the command
            }
        }
        return Path.of("/etc/berth/config.toml"); // GlobalOptions.DEFAULT_CONFIG, without loading picocli
    }

    /**
     * {@code api_address} of table {@code [plugins."dev.berth.v1"]} in the config file, or the default when
     * the file or the key is absent.
     */
    static Path socket(Path config) throws IOException {
        if (!Files.exists(config)) {
            return Path.of(DEFAULT_SOCKET);
        }
        String table = "";
        for (String raw : Files.readAllLines(config)) {
            String line = raw.strip();
            if (line.startsWith("[")) {
                table = line.replaceAll("[\\[\\]\\s\"']", "");
            } else if (line.startsWith("api_address") && table.equals("plugins.dev.berth.v1")) {
                int eq = line.indexOf('=');
                String v = eq > 0 ? line.substring(eq + 1).strip() : "";
                if (v.length() >= 2 && (v.charAt(0) == '"' || v.charAt(0) == '\'')) {
                    return Path.of(v.substring(1, v.indexOf(v.charAt(0), 1)));
                }
                throw new IllegalArgumentException("unusual api_address: " + line);
            }
        }
        return Path.of(DEFAULT_SOCKET);
    }

    private static byte[] requestBody(List<String> args) {
        StringBuilder sb = new StringBuilder("{\"stream\":true,\"tty\":").append(System.console() != null)
                .append(",\"version\":");
        quote(sb, version());
        sb.append(",\"cwd\":");
        quote(sb, Path.of("").toAbsolutePath().toString());
        sb.append(",\"args\":[");
        for (int i = 0; i < args.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            quote(sb, args.get(i));
        }
        return sb.append("]}").toString().getBytes(StandardCharsets.UTF_8);
    }

    static String version() {
        try (InputStream in = ThinClient.class.getResourceAsStream("/dev/berth/controller/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /**
     * The daemon's answer to a streaming {@code /cli} request: HTTP/1.1 (chunked or not) whose body
     * is frames {@code <type><byte length>\n<bytes>}, type {@code o} stdout, {@code e} stderr,
     * {@code x} the exit code, {@code n} "not forwarded: run it yourself", {@code t} "attached to
     * task {@code <namespace>/<id>}" (berth run).
     */
    static final class Frames {
        private Frames() {
        }

        /** Copies frames to out/err; the exit code, or null for "run it yourself" and foreign answers. */
        static Integer copy(InputStream raw, PrintStream out, PrintStream err,
                java.util.function.Consumer<String> attached) throws IOException {
            String status = line(raw);
            boolean chunked = false;
            for (String h; !(h = line(raw)).isEmpty(); ) {
                String l = h.toLowerCase(java.util.Locale.ROOT);
                if (l.startsWith("transfer-encoding:") && l.contains("chunked")) {
                    chunked = true;
                }
            }
            if (!status.startsWith("HTTP/1.1 200") && !status.startsWith("HTTP/1.0 200")) {
                return null; // an older daemon without the streaming endpoint: Main forwards the old way
            }
            InputStream in = chunked ? new Chunked(raw) : raw;
            for (int type; (type = in.read()) != -1; ) {
                int len = Integer.parseInt(line(in));
                byte[] b = in.readNBytes(len);
                switch (type) {
                    case 'o' -> {
                        out.write(b);
                        out.flush();
                    }
                    case 'e' -> {
                        err.write(b);
                        err.flush();
                    }
                    case 'x' -> {
                        return Integer.parseInt(new String(b, StandardCharsets.US_ASCII).strip());
                    }
                    case 'n' -> {
                        return null;
                    }
                    case 't' -> attached.accept(new String(b, StandardCharsets.UTF_8));
                    default -> throw new IOException("unknown frame type " + (char) type);
                }
            }
            throw new IOException("the answer ended without an exit code");
        }

        static String line(InputStream in) throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int c; (c = in.read()) != '\n'; ) {
                if (c == -1) {
                    throw new IOException("connection closed mid-answer");
                }
                if (c != '\r') {
                    b.write(c);
                }
            }
            return b.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Decodes an HTTP/1.1 chunked body. */
    private static final class Chunked extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        Chunked(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = Frames.line(in);
                if (size.isEmpty()) {
                    size = Frames.line(in); // CRLF that ends the previous chunk
                }
                int semi = size.indexOf(';');
                left = Long.parseLong((semi >= 0 ? size.substring(0, semi) : size).strip(), 16);
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new IOException("connection closed mid-chunk");
            }
            left -= n;
            return n;
        }
    }
}
