package dev.berth.engine.remotes.docker;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.remotes.auth.Authorizer;
import dev.berth.engine.remotes.hosts.RegistryHost;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Sends one logical request to one registry endpoint: adds the configured headers and the
 * authorization the endpoint asked for, answers a 401 challenge once, and retries 408/429 (always)
 * and 5xx and transport failures other than a refused TLS client certificate (only on the last
 * endpoint of the list, so a broken mirror is left quickly) with exponential backoff. Every attempt
 * is logged into the error it may end with, so a user sees that it timed out or retried. Thread-safe.
 */
final class HostRequester {
    /**
     * One request.
     *
     * @param method   HTTP method
     * @param suffix   path (and query) under the endpoint's API base, e.g. {@code library/x/manifests/latest}
     * @param headers  request headers
     * @param body     fresh body publisher per attempt, or null
     * @param scope    token scope, e.g. {@code repository:library/x:pull}
     * @param lastHost whether 5xx and transport errors are retried here
     * @param what     what is requested, for messages
     */
    record Call(String method, String suffix, Map<String, List<String>> headers,
                Supplier<HttpRequest.BodyPublisher> body, String scope, boolean lastHost, String what) {
    }

    private final RegistryTransport transport;
    private final Authorizer authorizer;
    private final RegistryOptions options;

    HostRequester(RegistryTransport transport, Authorizer authorizer, RegistryOptions options) {
        this.transport = transport;
        this.authorizer = authorizer;
        this.options = options;
    }

    /**
     * Sends the call; returns the final response (any status that is not retried, including 401 after
     * the challenge was answered, and 404). The caller closes the body. Throws UNAVAILABLE or
     * DEADLINE_EXCEEDED when every attempt failed in transport or with a retryable status.
     */
    HttpResponse<InputStream> send(RegistryHost host, Call call) throws InterruptedException {
        List<String> log = new ArrayList<>();
        boolean challenged = false;
        Duration delay = options.backoff();
        int attempt = 0;
        boolean timedOut = false;
        while (true) {
            attempt++;
            HttpRequest.Builder b = HttpRequest.newBuilder(host.resolve(call.suffix()))
                    .timeout(options.responseTimeout())
                    .header("User-Agent", options.userAgent());
            host.headers().forEach((k, vs) -> vs.forEach(v -> b.header(k, v)));
            call.headers().forEach((k, vs) -> vs.forEach(v -> b.header(k, v)));
            authorizer.authorization(host.authority(), call.scope()).ifPresent(a -> b.header("Authorization", a));
            b.method(call.method(), call.body() == null ? HttpRequest.BodyPublishers.noBody() : call.body().get());
            HttpResponse<InputStream> r;
            try {
                r = transport.send(transport.client(host), b.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (HttpConnectTimeoutException e) {
                timedOut = true;
                log.add("attempt " + attempt + ": connect timed out after " + host.dialTimeout().toSeconds() + "s");
                if (!call.lastHost() || attempt >= options.attempts()) {
                    throw failure(ErrorCategory.DEADLINE_EXCEEDED, host, call, log);
                }
                delay = sleep(delay);
                continue;
            } catch (HttpTimeoutException e) {
                timedOut = true;
                log.add("attempt " + attempt + ": timed out after " + options.responseTimeout().toSeconds()
                        + "s waiting for response headers");
                if (!call.lastHost() || attempt >= options.attempts()) {
                    throw failure(ErrorCategory.DEADLINE_EXCEEDED, host, call, log);
                }
                delay = sleep(delay);
                continue;
            } catch (IOException e) {
                String hint = clientCertificateHint(host, e);
                log.add("attempt " + attempt + ": " + describe(e) + hint);
                if (!hint.isEmpty()) {
                    // the registry refused the TLS client: another attempt gets the same answer
                    throw failure(ErrorCategory.UNAVAILABLE, host, call, log);
                }
                if (!call.lastHost() || attempt >= options.attempts() || e instanceof ConnectException) {
                    throw failure(timedOut ? ErrorCategory.DEADLINE_EXCEEDED : ErrorCategory.UNAVAILABLE,
                            host, call, log);
                }
                delay = sleep(delay);
                continue;
            }
            int st = r.statusCode();
            if (st == 401 && !challenged) {
                List<String> wa = r.headers().allValues("WWW-Authenticate");
                close(r);
                if (authorizer.challenged(host.authority(), wa)) {
                    challenged = true;
                    attempt--;
                    continue;
                }
                throw noUsableChallenge(host, call, st, wa);
            }
            boolean retryable = st == 408 || st == 429 || (call.lastHost() && (st == 500 || st == 502 || st == 503
                    || st == 504));
            if (retryable) {
                log.add("attempt " + attempt + ": HTTP " + st);
                close(r);
                if (attempt >= options.attempts()) {
                    throw failure(ErrorCategory.UNAVAILABLE, host, call, log);
                }
                Duration wait = retryAfter(r).orElse(delay);
                sleep(wait);
                delay = next(delay);
                continue;
            }
            return r;
        }
    }

    private static BerthException noUsableChallenge(RegistryHost host, Call call, int status, List<String> wa) {
        return new BerthException(ErrorCategory.PERMISSION_DENIED, host + " answered HTTP " + status + " to "
                + call.what() + " with no usable authentication challenge" + (wa.isEmpty() ? "" : " " + wa));
    }

    private static java.util.Optional<Duration> retryAfter(HttpResponse<?> r) {
        return r.headers().firstValue("Retry-After").flatMap(v -> {
            try {
                long s = Long.parseLong(v.trim());
                return java.util.Optional.of(Duration.ofSeconds(Math.min(s, 30)));
            } catch (NumberFormatException e) {
                return java.util.Optional.empty();
            }
        });
    }

    private Duration sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
        return next(d);
    }

    private Duration next(Duration d) {
        Duration n = d.multipliedBy(2);
        return n.compareTo(options.maxBackoff()) > 0 ? options.maxBackoff() : n;
    }

    static void close(HttpResponse<InputStream> r) {
        try {
            r.body().close();
        } catch (IOException ignored) {
            // only releasing the connection
        }
    }

    static String describe(IOException e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null || m.isEmpty() ? "" : ": " + m);
    }

    /**
     * What to do when the TLS handshake failed over the client certificate (the server's alert
     * {@code certificate_required} or {@code bad_certificate}), else "". Such a failure is final.
     */
    static String clientCertificateHint(RegistryHost host, IOException e) {
        boolean alert = false;
        for (Throwable t = e; t != null && !alert; t = t.getCause()) {
            String m = t.getMessage();
            alert = m != null && (m.contains("certificate_required") || m.contains("bad_certificate"));
        }
        if (!alert) {
            return "";
        }
        return host.clients().isEmpty()
                ? " (TLS handshake: the registry requires a client certificate; name one with client in its"
                        + " hosts.toml)"
                : " (TLS handshake: the registry refused the client certificate from hosts.toml; it must be"
                        + " issued by a CA the registry trusts, be valid now and allow client authentication)";
    }

    private static BerthException failure(ErrorCategory category, RegistryHost host, Call call, List<String> log) {
        return new BerthException(category, call.what() + " from " + host + " failed after " + log.size()
                + (log.size() == 1 ? " attempt" : " attempts") + " (" + String.join("; ", log) + ")");
    }
}
