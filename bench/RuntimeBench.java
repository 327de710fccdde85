import dev.berth.engine.Engine;
import dev.berth.engine.EngineSettings;
import dev.berth.engine.config.ConfigLoader;
import dev.berth.engine.runtime.TaskRuntime;
import dev.berth.engine.runtime.TaskState;
import dev.berth.engine.runtime.spec.ContainerSpec;
import dev.berth.engine.runtime.spec.SpecGenerator;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Bench harness: plays the daemon (one warm JVM with the engine open) and starts N containers in a
 * row, timing create -> running for each, then keeps them running until a line arrives on stdin,
 * then deletes them. Prints one JSON object per line. Compiled by bench/run.sh against the built
 * jars: java RuntimeBench CONFIG ROOTFS N PREFIX
 */
public final class RuntimeBench {
    public static void main(String[] a) throws Exception {
        Path config = Path.of(a[0]);
        Path rootfs = Path.of(a[1]);
        int n = Integer.parseInt(a[2]);
        String prefix = a[3];
        var cfg = new ConfigLoader(EngineSettings.all()).load(config);
        try (Engine engine = Engine.open(cfg)) {
            TaskRuntime rt = engine.runtime();
            // warm-up: one container through the whole path (class loading, JIT of the hot paths)
            for (int w = 0; w < 3; w++) {
                String id = prefix + "-warm" + w;
                rt.create("bench", id, SpecGenerator.generate(id, ContainerSpec.builder().args("true").build(), null,
                        rootfs, rt.cgroupPaths().specPath("bench", id)));
                rt.start("bench", id);
                rt.waitForExit("bench", id, Duration.ofSeconds(30));
                rt.delete("bench", id, false);
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                String id = String.format("%s-%03d", prefix, i);
                long s = System.nanoTime();
                var spec = SpecGenerator.generate(id, ContainerSpec.builder().args("sleep", "3600").build(), null,
                        rootfs, rt.cgroupPaths().specPath("bench", id));
                rt.create("bench", id, spec);
                long created = System.nanoTime();
                rt.start("bench", id);
                long started = System.nanoTime();
                System.out.printf("{\"id\":\"%s\",\"create_s\":%.6f,\"start_s\":%.6f,\"running_s\":%.6f}%n", id,
                        (created - s) / 1e9, (started - created) / 1e9, (started - s) / 1e9);
            }
            long total = System.nanoTime() - t0;
            long running = rt.list("bench").stream().filter(t -> t.state() == TaskState.RUNNING).count();
            System.out.printf("{\"total_s\":%.6f,\"running\":%d,\"pid\":%d}%n", total / 1e9, running,
                    ProcessHandle.current().pid());
            System.out.flush();
            new BufferedReader(new InputStreamReader(System.in)).readLine();
            long d0 = System.nanoTime();
            for (var t : rt.list("bench")) {
                rt.delete("bench", t.id(), true);
            }
            System.out.printf("{\"delete_all_s\":%.6f}%n", (System.nanoTime() - d0) / 1e9);
        }
    }
}
