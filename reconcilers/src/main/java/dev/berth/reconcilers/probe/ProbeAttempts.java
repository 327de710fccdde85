package dev.berth.reconcilers.probe;

import dev.berth.engine.remotes.TrustAll;
import dev.berth.engine.runtime.ExecRequest;
import dev.berth.engine.runtime.ExecResult;
import dev.berth.engine.runtime.TaskRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.impl.io.DefaultBHttpClientConnection;
import org.apache.hc.core5.http.message.BasicClassicHttpRequest;
import org.apache.hc.core5.http.config.Http1Config;

/**
 * Runs single probe attempts, as kubelet's probers do: exec through the task runtime (one
 * {@code runc exec}, nothing else forked), TCP and HTTP over a socket from the {@link ProbeDialer}.
 * An HTTP status from 200 to 399 is success (kubelet follows redirects first; a redirect is success
 * here, as its final answer usually is); HTTPS does not verify certificates, as kubelet's does not.
 * Stateless and thread-safe.
 */
final class ProbeAttempts {
    /** kubelet keeps at most this much of a probe's output in its message. */
    static final int MAX_MESSAGE = 1024;
    private static final int MAX_BODY = 10 * 1024;

    private final TaskRuntime runtime;
    private final ProbeDialer dialer;
    private final SSLContext insecure;

    ProbeAttempts(TaskRuntime runtime, ProbeDialer dialer) {
        this.runtime = runtime;
        this.dialer = dialer;
        this.insecure = insecureTls();
    }

    /** The outcome of one attempt. */
    record Outcome(boolean success, String message) {
        static Outcome ok(String m) {
            return new Outcome(true, trim(m));
        }

        static Outcome failed(String m) {
            return new Outcome(false, trim(m));
        }
    }

    Outcome run(ProbePlan plan, String namespace, String id, long pid) {
        try {
            ProbePlan.Action a = plan.action();
            if (a instanceof ProbePlan.Exec x) {
                return exec(x, namespace, id, plan.timeout());
            }
            if (a instanceof ProbePlan.TcpSocket t) {
                try (Socket s = dialer.connect(pid, t.host(), t.port(), plan.timeout())) {
                    return Outcome.ok("connected to " + s.getRemoteSocketAddress());
                }
            }
            return http((ProbePlan.HttpGet) a, pid, plan.timeout());
        } catch (SocketTimeoutException e) {
            return Outcome.failed(plan.action().describe() + " timed out after " + plan.timeout().toSeconds() + "s");
        } catch (IOException | HttpException e) {
            return Outcome.failed(plan.action().describe() + ": " + e.getMessage());
        }
    }

    private Outcome exec(ProbePlan.Exec x, String namespace, String id, Duration timeout) {
        ExecResult r = runtime.exec(namespace, id, new ExecRequest(x.command(), null, null, timeout));
        String out = (r.stdout() + r.stderr()).strip();
        if (r.exitCode() == 0) {
            return Outcome.ok(out);
        }
        return Outcome.failed("command " + x.command() + " exited with code " + r.exitCode() + (out.isEmpty() ? ""
                : ": " + out));
    }

    private Outcome http(ProbePlan.HttpGet h, long pid, Duration timeout) throws IOException, HttpException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Socket s = dialer.connect(pid, h.host(), h.port(), timeout);
        try {
            String host = h.host() == null ? "127.0.0.1" : h.host();
            if (h.https()) {
                SSLSocket tls = (SSLSocket) insecure.getSocketFactory().createSocket(s, host, h.port(), true);
                s = tls;
                tls.setSoTimeout(remaining(deadline));
                tls.startHandshake();
            }
            s.setSoTimeout(remaining(deadline));
            DefaultBHttpClientConnection conn = new DefaultBHttpClientConnection(Http1Config.DEFAULT);
            conn.bind(s);
            BasicClassicHttpRequest req = new BasicClassicHttpRequest("GET", h.path());
            req.setHeader("Host", host + ":" + h.port());
            req.setHeader("User-Agent", "kube-probe/berth");
            req.setHeader("Accept", "*/*");
            req.setHeader("Connection", "close");
            for (var header : h.headers()) {
                // as kubelet: a header the probe sets replaces the default of that name
                req.setHeader(header.name(), header.value());
            }
            conn.sendRequestHeader(req);
            conn.flush();
            ClassicHttpResponse resp = conn.receiveResponseHeader();
            conn.receiveResponseEntity(resp);
            String body = body(resp.getEntity());
            int code = resp.getCode();
            conn.close();
            if (code >= 200 && code < 400) {
                return Outcome.ok("HTTP " + code + (body.isEmpty() ? "" : ": " + body));
            }
            return Outcome.failed("HTTP probe failed with statuscode: " + code + (body.isEmpty() ? "" : ": " + body));
        } finally {
            s.close();
        }
    }

    private static int remaining(long deadlineNanos) throws SocketTimeoutException {
        long left = (deadlineNanos - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
            throw new SocketTimeoutException("no time left");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    private static String body(HttpEntity e) throws IOException {
        if (e == null) {
            return "";
        }
        try (InputStream in = e.getContent()) {
            return new String(in.readNBytes(MAX_BODY), StandardCharsets.UTF_8).strip();
        }
    }

    static String trim(String m) {
        String s = m == null ? "" : m.strip();
        return s.length() <= MAX_MESSAGE ? s : s.substring(0, MAX_MESSAGE) + "…";
    }

    private static SSLContext insecureTls() {
        try {
            SSLContext c = SSLContext.getInstance("TLS");
            // kubelet does not verify a probe's certificate either: the probe asks "is it up?"
            c.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
            return c;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("TLS unavailable", e);
        }
    }
}
