package dev.berth.reconcilers.probe;

import dev.berth.crd.container.Probe;
import dev.berth.engine.oci.ImageConfig;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One probe as the prober runs it: which kind it is, where it came from, its action and its
 * timings, whether written in the spec ({@link #of(Kind, Probe)}) or taken from the image's docker
 * {@code HEALTHCHECK} ({@link #fromHealthcheck}). Immutable.
 *
 * @param kind Startup, Liveness or Readiness
 * @param source {@code spec.livenessProbe} and so on, or {@link #IMAGE_SOURCE}
 */
public record ProbePlan(Kind kind, String source, Action action, Duration initialDelay, Duration period,
        Duration timeout, int successThreshold, int failureThreshold) {

    /** The source of a liveness probe taken from the image. */
    public static final String IMAGE_SOURCE = "image HEALTHCHECK";
    /** docker's defaults for a HEALTHCHECK without them. */
    static final Duration DOCKER_INTERVAL = Duration.ofSeconds(30);
    static final Duration DOCKER_TIMEOUT = Duration.ofSeconds(30);
    static final int DOCKER_RETRIES = 3;

    public ProbePlan {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(action, "action");
    }

    /** The kinds of probe, in the order kubelet runs them. */
    public enum Kind {
        /** Holds the others off until it succeeds; a failure restarts the container. */
        Startup,
        /** A failure restarts the container. */
        Liveness,
        /** Decides readiness. */
        Readiness;

        /** The spec field that holds this kind ({@code livenessProbe}). */
        public String field() {
            return name().substring(0, 1).toLowerCase(java.util.Locale.ROOT) + name().substring(1) + "Probe";
        }
    }

    /** What one attempt does. */
    public sealed interface Action permits Exec, HttpGet, TcpSocket {
        /** A short text for status and events: {@code exec [cat /ready]}, {@code httpGet http://:8080/}. */
        String describe();
    }

    /** Runs {@code command} in the task; exit status 0 is success. */
    public record Exec(List<String> command) implements Action {
        public Exec {
            command = List.copyOf(command);
        }

        @Override
        public String describe() {
            return "exec " + command;
        }
    }

    /** HTTP GET; 200-399 is success. A null host is the container's own address. */
    public record HttpGet(boolean https, String host, int port, String path, List<Probe.HttpHeader> headers)
            implements Action {
        public HttpGet {
            headers = headers == null ? List.of() : List.copyOf(headers);
        }

        @Override
        public String describe() {
            return "httpGet " + (https ? "https" : "http") + "://" + (host == null ? "" : host) + ":" + port + path;
        }
    }

    /** TCP connect. A null host is the container's own address. */
    public record TcpSocket(String host, int port) implements Action {
        @Override
        public String describe() {
            return "tcpSocket " + (host == null ? "" : host) + ":" + port;
        }
    }

    /** The spec's probe {@code p} of {@code kind} (validated: exactly one action). */
    public static ProbePlan of(Kind kind, Probe p) {
        Action a;
        if (p.exec() != null) {
            a = new Exec(p.exec().command());
        } else if (p.httpGet() != null) {
            var h = p.httpGet();
            a = new HttpGet(h.scheme() == Probe.Scheme.HTTPS, h.host(), h.port(), h.path(), h.httpHeaders());
        } else {
            a = new TcpSocket(p.tcpSocket().host(), p.tcpSocket().port());
        }
        return new ProbePlan(kind, "spec." + kind.field(), a, Duration.ofSeconds(p.initialDelaySeconds()),
                Duration.ofSeconds(p.periodSeconds()), Duration.ofSeconds(p.timeoutSeconds()), p.successThreshold(),
                p.failureThreshold());
    }

    /**
     * The liveness probe docker's {@code HEALTHCHECK} {@code h} describes: {@code CMD} runs its argv,
     * {@code CMD-SHELL} runs {@code /bin/sh -c}; interval, timeout and retries map to period, timeout
     * and failureThreshold, and the start period to an initial delay. Empty for {@code NONE}, an
     * empty test (inherit: nothing to inherit here) or an unknown form.
     */
    public static Optional<ProbePlan> fromHealthcheck(ImageConfig.Healthcheck h) {
        if (h == null || h.test() == null || h.test().isEmpty()) {
            return Optional.empty();
        }
        List<String> t = h.test();
        Exec exec;
        if ("CMD".equals(t.get(0)) && t.size() > 1) {
            exec = new Exec(t.subList(1, t.size()));
        } else if ("CMD-SHELL".equals(t.get(0)) && t.size() > 1) {
            exec = new Exec(List.of("/bin/sh", "-c", String.join(" ", t.subList(1, t.size()))));
        } else {
            return Optional.empty();
        }
        return Optional.of(new ProbePlan(Kind.Liveness, IMAGE_SOURCE, exec, nanos(h.startPeriod(), Duration.ZERO),
                seconds(nanos(h.interval(), DOCKER_INTERVAL)), seconds(nanos(h.timeout(), DOCKER_TIMEOUT)), 1,
                h.retries() == null || h.retries() <= 0 ? DOCKER_RETRIES : h.retries()));
    }

    private static Duration nanos(Long n, Duration dflt) {
        return n == null || n <= 0 ? dflt : Duration.ofNanos(n);
    }

    /** At least a second: the prober's timings are whole seconds, as kubelet's. */
    private static Duration seconds(Duration d) {
        return d.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : d;
    }
}
