package dev.berth.controller.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.berth.api.containerd.events.SandboxCreate;
import dev.berth.api.containerd.events.SandboxExit;
import dev.berth.api.containerd.events.SandboxStart;
import dev.berth.api.containerd.services.events.v1.Envelope;
import dev.berth.api.containerd.services.events.v1.EventsGrpc;
import dev.berth.api.containerd.services.events.v1.SubscribeRequest;
import dev.berth.controller.ControllerSettings;
import dev.berth.controller.Daemon;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.cgroups.CgroupSettings;
import dev.berth.engine.config.Config;
import dev.berth.engine.events.EngineEvent;
import dev.berth.engine.mount.MountTable;
import dev.berth.engine.runtime.RuntimeSettings;
import dev.berth.engine.runtime.TaskStatus;
import dev.berth.engine.sandbox.SandboxSettings;
import dev.berth.engine.testing.PauseImage;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Sandbox's life on containerd's event stream: a gRPC subscriber (grpc-java over the daemon's
 * unix socket) gets containerd 1.7+/2.x's {@code /sandboxes/create}, {@code /sandboxes/start} and
 * {@code /sandboxes/exit} with the sandbox id (the pause container's id) in containerd's payloads,
 * around the pause container's own {@code /containers/*} and {@code /tasks/*} events; Debian's real
 * {@code ctr events} (containerd 1.6.20, which has no sandbox event types and skips them) shows
 * the pause container's create, task start and delete, as containerd 1.6's CRI plugin announces a
 * pod sandbox. The sandbox has network None (loopback only), so no bridge is involved.
 */
class SandboxEventsIT {
    @TempDir
    Path tmp;
    Daemon daemon;
    Path sock;
    Path manifests;
    ManagedChannel channel;
    EpollEventLoopGroup loop;
    final String cgroupParent = "/berth-sbev-" + Long.toHexString(System.nanoTime());
    final String pauseRef = "localhost/berth-test/pause-ev" + Long.toHexString(System.nanoTime()) + ":1";

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root for runc and network namespaces");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/ctr")), "needs Debian's containerd package (ctr)");
        manifests = Files.createDirectories(tmp.resolve("manifests"));
        sock = tmp.resolve("state/containerd.sock");
        Config c = Config.defaults()
                .with(EngineSettings.ROOT, tmp.resolve("root").toString())
                .with(EngineSettings.STATE, tmp.resolve("state").toString())
                .with(RuntimeSettings.LOG_DIR, tmp.resolve("logs").toString())
                .with(CgroupSettings.CGROUP_PARENT, cgroupParent)
                .with(SandboxSettings.SANDBOX_IMAGE, pauseRef)
                .with(SandboxSettings.CNI_CONF_DIR, Files.createDirectories(tmp.resolve("net.d")).toString())
                .with(ControllerSettings.API_ADDRESS, tmp.resolve("state/berth.sock").toString())
                .with(ControllerSettings.GRPC_ADDRESS, sock.toString())
                .with(ControllerSettings.MANIFEST_DIR, manifests.toString());
        try (var e = dev.berth.engine.Engine.open(c)) {
            PauseImage.importAs(e, pauseRef, tmp.resolve("pause"));
        }
        daemon = Daemon.start(c);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            loop.shutdownGracefully().await(10, TimeUnit.SECONDS);
        }
        if (daemon == null) {
            return;
        }
        try {
            daemon.engine().sandboxes().remove("default", "evpod");
            for (TaskStatus t : daemon.engine().runtime().list(null)) {
                daemon.engine().runtime().delete(t.namespace(), t.id(), true);
            }
        } finally {
            daemon.close();
            MountTable.cleanUnder(tmp);
            dev.berth.engine.cgroups.Cgroups.host().removeEmpty(cgroupParent);
        }
    }

    @Test
    void aSandboxIsAnnouncedOnTheGrpcStreamAndAsItsPauseContainerToCtr() throws Exception {
        List<Envelope> got = new CopyOnWriteArrayList<>();
        loop = new EpollEventLoopGroup(1);
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(sock.toFile())).eventLoopGroup(loop)
                .channelType(EpollDomainSocketChannel.class).usePlaintext().build();
        EventsGrpc.newStub(channel).subscribe(SubscribeRequest.newBuilder().build(), new StreamObserver<>() {
            @Override
            public void onNext(Envelope e) {
                got.add(e);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        Process ctr = new ProcessBuilder("ctr", "--address", sock.toString(), "events").redirectErrorStream(true)
                .redirectOutput(tmp.resolve("ctr-events.txt").toFile()).start();
        try {
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> daemon.grpc().subscribers() >= 2);
            Path file = manifests.resolve("evpod.yaml");
            Files.writeString(file, """
                    apiVersion: berth.dev/v1alpha1
                    kind: Sandbox
                    metadata: {name: evpod}
                    spec: {network: None}
                    """);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> topics(got).contains(EngineEvent.SANDBOX_START));
            Files.delete(file);
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> topics(got).contains(EngineEvent.SANDBOX_EXIT)
                    && ctrLines().stream().anyMatch(l -> l.contains("/containers/delete") && l.contains("evpod_pause")));

            List<String> order = got.stream().filter(e -> mentionsPause(e) && deterministic(e.getTopic()))
                    .map(Envelope::getTopic).toList();
            assertEquals(List.of("/sandboxes/create", "/containers/create", "/tasks/create", "/tasks/start",
                    "/sandboxes/start", "/tasks/delete", "/containers/delete", "/sandboxes/exit"), order,
                    got.toString());
            Envelope create = first(got, EngineEvent.SANDBOX_CREATE);
            assertEquals("containerd.events.SandboxCreate", create.getEvent().getTypeUrl());
            assertEquals("default", create.getNamespace());
            assertEquals("evpod_pause", SandboxCreate.parseFrom(create.getEvent().getValue()).getSandboxId());
            assertEquals("evpod_pause", SandboxStart.parseFrom(first(got, EngineEvent.SANDBOX_START).getEvent()
                    .getValue()).getSandboxId());
            SandboxExit exit = SandboxExit.parseFrom(first(got, EngineEvent.SANDBOX_EXIT).getEvent().getValue());
            assertEquals("evpod_pause", exit.getSandboxId());
            assertEquals(0, exit.getExitStatus(), "the pause exits 0 on SIGTERM");
            assertTrue(exit.getExitedAt().getSeconds() > 0, exit.toString());

            // containerd 1.6's view: the pause container and its task, by id; the three sandbox types it
            // cannot decode did not end its stream (the later events arrived, and it still runs)
            List<String> lines = ctrLines();
            assertTrue(ctr.isAlive(), String.join("\n", lines));
            for (String topic : List.of("/containers/create", "/tasks/create", "/tasks/start", "/tasks/delete",
                    "/containers/delete")) {
                assertTrue(lines.stream().anyMatch(l -> l.contains(" default " + topic + " ") && l.contains("evpod_pause")),
                        topic + " in\n" + String.join("\n", lines));
            }
        } finally {
            ctr.destroy();
            ctr.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Topics whose order does not depend on the exit monitor's timing (/tasks/exit comes from it). */
    private static boolean deterministic(String topic) {
        return !topic.equals(EngineEvent.TASK_EXIT) && !topic.startsWith("/snapshot/");
    }

    private static boolean mentionsPause(Envelope e) {
        return e.getEvent().getValue().toStringUtf8().contains("evpod_pause");
    }

    private static List<String> topics(List<Envelope> got) {
        return got.stream().map(Envelope::getTopic).toList();
    }

    private static Envelope first(List<Envelope> got, String topic) {
        return got.stream().filter(e -> e.getTopic().equals(topic)).findFirst().orElseThrow();
    }

    private List<String> ctrLines() throws Exception {
        return Files.readString(tmp.resolve("ctr-events.txt")).lines().toList();
    }
}
