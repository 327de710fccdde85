package dev.berth.crd.container;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import java.util.List;

/**
 * A health check of a running container, with kubelet's fields and semantics: exactly one action
 * ({@code exec}, {@code httpGet} or {@code tcpSocket}) run every {@code periodSeconds} after
 * {@code initialDelaySeconds}, each attempt bounded by {@code timeoutSeconds}; the result flips to
 * success after {@code successThreshold} consecutive successes and to failure after
 * {@code failureThreshold} consecutive failures. Absent timings take kubelet's defaults (0, 10, 1,
 * 1, 3), so an explicit {@code 0} stays visible to validation. Immutable.
 *
 * @param exec a command run inside the container; exit status 0 is success
 * @param httpGet an HTTP GET to the container; a status from 200 to 399 is success
 * @param tcpSocket a TCP connect to the container; an accepted connection is success
 * @param initialDelaySeconds seconds after the container started before the first attempt
 * @param periodSeconds seconds between attempts (at least 1)
 * @param timeoutSeconds seconds one attempt may take (at least 1)
 * @param successThreshold consecutive successes that make the probe succeed (1 for liveness and startup)
 * @param failureThreshold consecutive failures that make the probe fail
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Probe(
        @JsonPropertyDescription("command run in the container; exit 0 is success") ExecAction exec,
        @JsonPropertyDescription("HTTP GET to the container; 200-399 is success") HttpGetAction httpGet,
        @JsonPropertyDescription("TCP connect to the container") TcpSocketAction tcpSocket,
        @JsonPropertyDescription("seconds after the start before the first attempt (default 0)") Integer initialDelaySeconds,
        @JsonPropertyDescription("seconds between attempts (default 10)") Integer periodSeconds,
        @JsonPropertyDescription("seconds one attempt may take (default 1)") Integer timeoutSeconds,
        @JsonPropertyDescription("consecutive successes to succeed (default 1)") Integer successThreshold,
        @JsonPropertyDescription("consecutive failures to fail (default 3)") Integer failureThreshold) {

    /** kubelet's defaults. */
    public static final int DEFAULT_PERIOD = 10;
    public static final int DEFAULT_TIMEOUT = 1;
    public static final int DEFAULT_SUCCESS = 1;
    public static final int DEFAULT_FAILURE = 3;

    public Probe {
        if (initialDelaySeconds == null) {
            initialDelaySeconds = 0;
        }
        if (periodSeconds == null) {
            periodSeconds = DEFAULT_PERIOD;
        }
        if (timeoutSeconds == null) {
            timeoutSeconds = DEFAULT_TIMEOUT;
        }
        if (successThreshold == null) {
            successThreshold = DEFAULT_SUCCESS;
        }
        if (failureThreshold == null) {
            failureThreshold = DEFAULT_FAILURE;
        }
    }

    /** An exec probe with kubelet's default timings. */
    public static Probe exec(String... command) {
        return new Probe(new ExecAction(List.of(command)), null, null, null, null, null, null, null);
    }

    /** An HTTP probe of {@code path} on {@code port} with kubelet's default timings. */
    public static Probe httpGet(String path, int port) {
        return new Probe(null, new HttpGetAction(path, port, null, null, null), null, null, null, null, null, null);
    }

    /** A TCP probe of {@code port} with kubelet's default timings. */
    public static Probe tcpSocket(int port) {
        return new Probe(null, null, new TcpSocketAction(port, null), null, null, null, null, null);
    }

    /** This probe with other timings (null keeps the default). */
    public Probe timed(Integer initialDelay, Integer period, Integer timeout, Integer success, Integer failure) {
        return new Probe(exec, httpGet, tcpSocket, initialDelay, period, timeout, success, failure);
    }

    /** A command run in the container, without a shell (write {@code sh -c} for one). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ExecAction(@Required @JsonPropertyDescription("argv of the command") List<String> command) {
    }

    /**
     * An HTTP GET.
     *
     * @param path request path, {@code /} when absent
     * @param port port in the container, 1-65535
     * @param host host name or IP to connect to; the container's own address when absent
     * @param scheme HTTP (default) or HTTPS (certificates are not verified, as in kubelet)
     * @param httpHeaders extra request headers
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HttpGetAction(
            @JsonPropertyDescription("request path, / when absent") String path,
            @Required @JsonPropertyDescription("port in the container") Integer port,
            @JsonPropertyDescription("host to connect to; the container's address when absent") String host,
            Scheme scheme,
            List<HttpHeader> httpHeaders) {

        public HttpGetAction {
            if (path == null || path.isEmpty()) {
                path = "/";
            }
            if (scheme == null) {
                scheme = Scheme.HTTP;
            }
        }
    }

    /** URI schemes of an {@link HttpGetAction}. */
    public enum Scheme {
        HTTP,
        HTTPS
    }

    /** One HTTP request header. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record HttpHeader(@Required String name, @Required String value) {
    }

    /**
     * A TCP connect.
     *
     * @param port port in the container, 1-65535
     * @param host host name or IP to connect to; the container's own address when absent
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record TcpSocketAction(
            @Required @JsonPropertyDescription("port in the container") Integer port,
            @JsonPropertyDescription("host to connect to; the container's address when absent") String host) {
    }
}
