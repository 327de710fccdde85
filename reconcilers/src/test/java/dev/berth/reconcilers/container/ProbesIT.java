package dev.berth.reconcilers.container;

import static dev.berth.reconcilers.container.ContainerFixture.NS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.crd.ObjectRef;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerPhase;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.container.ContainerStatus;
import dev.berth.crd.container.Probe;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.image.ImageStatus;
import dev.berth.crd.status.Condition;
import dev.berth.crd.status.Conditions;
import dev.berth.engine.oci.ImageConfig;
import dev.berth.engine.testing.BuiltImage;
import dev.berth.engine.testing.OciImageBuilder;
import dev.berth.reconcilers.Context;
import dev.berth.reconcilers.probe.NetnsDialer;
import dev.berth.reconcilers.probe.ProbePlan;
import dev.berth.reconcilers.probe.Prober;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Probes against real containers (busybox under runc and conmon): HTTP servers reached inside each
 * task's own network namespace, exec probes through runc exec, the image's HEALTHCHECK. Each test
 * waits for the outcome it names (no timings are asserted) and deletes its container.
 */
class ProbesIT {
    /** busybox httpd serving /www on 8080 in the foreground, after the given shell steps. */
    private static final String SERVE = "exec busybox httpd -f -p 8080 -h /www";
    static ContainerFixture f;
    static NetnsDialer dialer;
    static Prober prober;
    static final Set<ObjectRef> enqueued = ConcurrentHashMap.newKeySet();

    @BeforeAll
    static void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        f = new ContainerFixture();
        dialer = new NetnsDialer();
        prober = new Prober(f.engine.runtime(), dialer, f.sink(), enqueued::add, 4);
        // the first exit restarts at once; later ones after a short back-off, so restarts are seen quickly
        f.reconciler = new ContainerReconciler(f.engine, f.lookup(), f.sink(), f.clock,
                new ContainerReconciler.Options(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(200),
                        Duration.ofMinutes(10)), prober);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (prober != null) {
            prober.close();
            dialer.close();
        }
        if (f != null) {
            f.close();
        }
    }

    private static ContainerSpec shell(String image, String script) {
        return new ContainerSpec(image, List.of("sh", "-c"), List.of(script), null, null, null, null, null, null,
                false, RestartPolicy.Always, null, null, null);
    }

    private static Condition ready(Container c) {
        return c.getStatus().condition(Condition.READY).orElseThrow();
    }

    private static boolean running(Container c) {
        return c.getStatus() != null && c.getStatus().getPhase() == ContainerPhase.Running;
    }

    private void delete(Container c) throws Exception {
        f.reconciler.cleanup(c, Context.first(f.clock));
        assertTrue(f.task(c.getMetadata().getName()).isEmpty());
        assertEquals(0, prober.probedTasks(), "probes of a deleted container stop");
    }

    private List<String> events(Container c, String reason) {
        String prefix = c.getMetadata().getName() + " " + reason + ": ";
        return f.events.stream().filter(e -> e.startsWith(prefix)).map(e -> e.substring(prefix.length())).toList();
    }

    @Test
    void startupProbeHoldsReadinessOffUntilTheServerAnswers() throws Exception {
        Probe http = Probe.httpGet("/", 8080).timed(null, 1, null, null, 60);
        Container c = f.container(f.name("slow"), shell(ContainerFixture.IMAGE,
                "mkdir -p /www && echo hello > /www/index.html && sleep 3 && " + SERVE)
                .withProbes(http, null, Probe.httpGet("/", 8080).timed(null, 1, null, null, null)));
        f.reconcileUntil(c, ProbesIT::running);
        assertFalse(c.getStatus().getStarted(), c.getStatus().toString());
        assertEquals("Starting", ready(c).reason());
        assertFalse(ready(c).isTrue());

        f.reconcileUntil(c, x -> ready(x).isTrue());
        ContainerStatus st = c.getStatus();
        assertTrue(st.getStarted());
        assertEquals("Ready", ready(c).reason());
        assertEquals("readiness probe succeeded: HTTP 200: hello", ready(c).message());
        assertEquals(List.of("Startup", "Readiness"), st.getProbes().stream().map(ContainerStatus.ProbeStatus::probe).toList());
        assertEquals(List.of("Success", "Success"), st.getProbes().stream().map(ContainerStatus.ProbeStatus::result).toList());
        assertEquals("spec.startupProbe", st.getProbes().get(0).source());
        assertEquals("httpGet http://:8080/", st.getProbes().get(0).action());
        assertEquals(0, st.getRestartCount());
        assertTrue(enqueued.contains(ObjectRef.of(c)), "a result that flips enqueues its Container");
        // while the server slept, the startup probe's attempts were refused and said so
        assertTrue(events(c, "Unhealthy").stream().anyMatch(m -> m.startsWith(
                "Startup probe (spec.startupProbe, httpGet http://:8080/) failed: httpGet http://:8080/: Connection refused")),
                f.events.toString());
        delete(c);
    }

    @Test
    void failingLivenessRestartsTheContainer() throws Exception {
        Container c = f.container(f.name("sick"), shell(ContainerFixture.IMAGE,
                "mkdir -p /www; echo ok > /www/healthz; (sleep 2; rm /www/healthz) & " + SERVE)
                .withProbes(null, Probe.httpGet("/healthz", 8080).timed(null, 1, null, null, 2), null));
        f.reconcileUntil(c, ProbesIT::running);
        f.reconcileUntil(c, x -> x.getStatus().getRestartCount() != null && x.getStatus().getRestartCount() >= 1
                && running(x));
        List<String> unhealthy = events(c, "Unhealthy");
        assertTrue(unhealthy.stream().anyMatch(m -> m.startsWith("Liveness probe (spec.livenessProbe, httpGet"
                + " http://:8080/healthz) failed: HTTP probe failed with statuscode: 404")), f.events.toString());
        List<String> killing = events(c, "Killing");
        assertFalse(killing.isEmpty(), f.events.toString());
        assertTrue(killing.get(0).startsWith("Liveness probe (spec.livenessProbe, httpGet http://:8080/healthz)"
                + " failed 2 times: HTTP probe failed with statuscode: 404"), killing.get(0));
        assertTrue(events(c, "Restarted").size() >= 1);
        // the restarted task gets fresh probes, and fails them again, into the back-off
        f.reconcileUntil(c, x -> {
            f.clock.advance(Duration.ofMillis(300)); // past the (short) back-off
            return x.getStatus().getRestartCount() >= 2;
        });
        delete(c);
    }

    @Test
    void neverReadyShowsTheProbeMessage() throws Exception {
        Container c = f.container(f.name("never"), shell(ContainerFixture.IMAGE, "exec sleep 1000")
                .withProbes(null, null, Probe.exec("cat", "/tmp/ready").timed(null, 1, null, null, 1)));
        f.reconcileUntil(c, x -> running(x) && "ProbeFailed".equals(ready(x).reason()));
        assertFalse(ready(c).isTrue());
        assertEquals("readiness probe (exec [cat, /tmp/ready]) failed: command [cat, /tmp/ready] exited with code 1:"
                + " cat: can't open '/tmp/ready': No such file or directory", ready(c).message());
        assertTrue(c.getStatus().condition(Condition.DEGRADED).orElseThrow().isTrue());
        assertEquals(0, c.getStatus().getRestartCount(), "readiness never restarts");
        delete(c);
    }

    @Test
    void execAndTcpReadinessTurnReady() throws Exception {
        Container c = f.container(f.name("late"), shell(ContainerFixture.IMAGE,
                "mkdir -p /www; sleep 2; touch /tmp/ready; exec busybox httpd -f -p 9090 -h /www")
                .withProbes(null, Probe.tcpSocket(9090).timed(null, 1, null, null, 30),
                        Probe.exec("test", "-f", "/tmp/ready").timed(null, 1, null, 2, null)));
        f.reconcileUntil(c, ProbesIT::running);
        f.reconcileUntil(c, x -> ready(x).isTrue());
        assertEquals("Ready", ready(c).reason());
        ContainerStatus.ProbeStatus live = c.getStatus().getProbes().get(0);
        assertEquals("Liveness", live.probe());
        assertEquals("Success", live.result());
        assertTrue(live.message().startsWith("connected to /127.0.0.1:9090"), live.message());
        assertEquals(0, c.getStatus().getRestartCount());
        delete(c);
    }

    @Test
    void imageHealthcheckIsTheLivenessProbeWhenTheSpecHasNone() throws Exception {
        long second = 1_000_000_000L;
        BuiltImage img = OciImageBuilder.busybox().healthcheck(new ImageConfig.Healthcheck(
                List.of("CMD-SHELL", "test -f /tmp/healthy"), second, 2 * second, null, 2)).build();
        img.writeTo(f.engine.content());
        String ref = "localhost/berth-test/healthcheck-" + f.suffix + ":1";
        f.engine.images().create(dev.berth.engine.images.Image.of(ref, img.target()));
        Image image = new Image();
        image.setMetadata(new ObjectMetaBuilder().withName("checked").withNamespace(NS).withGeneration(1L).build());
        image.setSpec(new ImageSpec(ref, null, null, null, null, null));
        ImageStatus ist = new ImageStatus();
        ist.setDigest(img.target().digest().toString());
        Conditions.set(ist.getConditions(), Condition.of(Condition.READY, true, "Pulled", "ready"), f.clock);
        image.setStatus(ist);
        f.put(image);

        Container c = f.container(f.name("checked"), shell("checked",
                "touch /tmp/healthy; sleep 3; rm /tmp/healthy; exec sleep 1000"));
        f.reconcileUntil(c, x -> running(x) && x.getStatus().getProbes() != null);
        ContainerStatus.ProbeStatus p = c.getStatus().getProbes().get(0);
        assertEquals("Liveness", p.probe());
        assertEquals(ProbePlan.IMAGE_SOURCE, p.source());
        assertEquals("exec [/bin/sh, -c, test -f /tmp/healthy]", p.action());
        f.reconcileUntil(c, x -> x.getStatus().getRestartCount() != null && x.getStatus().getRestartCount() >= 1);
        assertTrue(events(c, "Killing").get(0).startsWith("Liveness probe (image HEALTHCHECK, exec [/bin/sh, -c,"
                + " test -f /tmp/healthy]) failed 2 times: command [/bin/sh, -c, test -f /tmp/healthy] exited with code 1"),
                f.events.toString());
        delete(c);
    }
}
