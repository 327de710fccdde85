package dev.berth.crd.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.container.Container;
import dev.berth.crd.container.ContainerSpec;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.ImageSpec;
import dev.berth.crd.snapshot.Snapshot;
import dev.berth.crd.snapshot.SnapshotSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorTest {
    private final SpecCodec codec = new SpecCodec();

    private List<String> errors(String yaml) {
        return Validator.validate(codec.decode("t", yaml).get(0).object()).stream().map(FieldError::toString).toList();
    }

    private List<String> container(String spec) {
        return errors("apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {name: c}\nspec:\n" + spec);
    }

    @Test
    void validContainerHasNoErrors() {
        assertEquals(List.of(), container("""
                  image: busybox
                  command: [/bin/sh, -c]
                  args: ["echo hi"]
                  env: [{name: A, value: "1"}]
                  workingDir: /srv
                  user: "1000:1000"
                  resources: {memory: 64Mi, cpu: 500m, pids: 100}
                  mounts:
                    - {destination: /data, source: /var/lib/data, readOnly: true}
                    - {destination: /tmp, type: Tmpfs}
                  hostname: web-1
                  restartPolicy: Never
                  state: Stopped
                  sandbox: pod-a
                """));
    }

    /** Regression (issue 12): annotations had no key rule and no size limit. */
    @Test
    void annotationsFollowKubernetesRules() {
        String image = "apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata:\n  name: i\n  annotations:\n%s"
                + "spec: {ref: busybox}\n";
        assertEquals(List.of(), errors(image.formatted("    example.com/Note: \"x\"\n    plain: \"y\"\n")));
        assertEquals(List.of("metadata.annotations[bad key!]: \"bad key!\" is not an annotation key: a name of at most "
                + "63 letters, digits, '-', '_' or '.', optionally prefixed by a DNS subdomain and '/'"),
                errors(image.formatted("    \"bad key!\": x\n")));
        String big = "x".repeat(130 * 1024);
        List<String> e = errors(image.formatted("    a: " + big + "\n    b: " + big + "\n"));
        assertEquals(List.of("metadata.annotations: the annotations are 266242 bytes (keys plus values), over the limit "
                + "of 262144 bytes (256 KiB, as Kubernetes); keep large data out of annotations (in a file the container "
                + "mounts, or an image)"), e);
    }

    @Test
    void quantityMessages() {
        assertEquals(List.of("spec.resources.memory: \"12XB\" is not a quantity (e.g. 64Mi)",
                "spec.resources.cpu: \"fast\" is not a quantity (e.g. 500m or 2)",
                "spec.resources.pids: 0 must be at least 1"),
                container("  image: busybox\n  resources: {memory: 12XB, cpu: fast, pids: 0}\n"));
        assertEquals(List.of("spec.resources.memory: \"1Ki\" is below the 6Mi a container needs to start",
                "spec.resources.cpu: \"0\" must be at least 1m"),
                container("  image: busybox\n  resources: {memory: 1Ki, cpu: 0}\n"));
    }

    @Test
    void namesMustBeDns1123() {
        assertEquals(List.of("metadata.name: \"Web_1\" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. my-name)"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {name: Web_1}\nspec: {image: busybox}\n"));
        assertEquals(List.of("metadata.name: required"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {}\nspec: {ref: busybox}\n"));
        assertEquals(List.of(), errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: busybox.v1}\nspec: {ref: busybox}\n"),
                "Image names are subdomains");
        assertTrue(errors("apiVersion: berth.dev/v1alpha1\nkind: Container\nmetadata: {name: " + "a".repeat(64) + "}\nspec: {image: x}\n")
                .get(0).contains("longer than 63"));
        assertEquals(List.of("metadata.namespace: \"Prod\" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. my-name)"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: a, namespace: Prod}\nspec: {ref: busybox}\n"));
        assertTrue(errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: a, labels: {\"bad key!\": x}}\nspec: {ref: busybox}\n")
                .get(0).startsWith("metadata.labels[bad key!]: "));
    }

    @Test
    void requiredFields() {
        assertEquals(List.of("spec.image: required: the name of an Image object in the same namespace"), container("  args: [x]\n"));
        assertEquals(List.of("spec: required (with at least spec.ref)"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: a}\n"));
        assertEquals(List.of("spec.ref: an image reference is required (e.g. docker.io/library/busybox:1.36)"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: a}\nspec: {pullPolicy: Always}\n"));
        assertEquals(List.of("spec.env[0].name: required", "spec.mounts[0].destination: required: an absolute path in the container",
                "spec.mounts[0].source: required for a Bind mount: an absolute host path"),
                container("  image: b\n  env: [{value: x}]\n  mounts: [{}]\n"));
    }

    @Test
    void imageRefsMustParse() {
        assertEquals(List.of("spec.ref: \"Busybox:latest\" is not a valid image reference: repository name must be lowercase (\"Busybox\")"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: a}\nspec: {ref: \"Busybox:latest\"}\n"));
        assertEquals(List.of("spec.platform: \"amd64\" is not os/arch[/variant] (e.g. linux/amd64, linux/arm64/v8)",
                "spec.credentials: set exactly one of secretName and file"),
                errors("apiVersion: berth.dev/v1alpha1\nkind: Image\nmetadata: {name: a}\nspec: {ref: busybox, platform: amd64, credentials: {}}\n"));
    }

    @Test
    void containerImageIsAnObjectNameWithAHintForReferences() {
        assertEquals(List.of("spec.image: \"busybox:latest\" looks like an image reference; this field names an Image object in the same namespace"
                + " (create an Image with spec.ref: busybox:latest and use its metadata.name)"), container("  image: busybox:latest\n"));
    }

    @Test
    void pathsDuplicatesAndUsers() {
        assertEquals(List.of(
                "spec.env[1].name: \"A\" is already set by spec.env[0]",
                "spec.workingDir: \"srv\" must be an absolute path",
                "spec.user: \"root user\" is not uid[:gid] or a user name (e.g. 1000:1000, nobody)",
                "spec.mounts[0].source: \"/a/../b\" is not a clean path (write /b)",
                "spec.mounts[1].destination: \"/x\" is already mounted by spec.mounts[0]",
                "spec.mounts[1].source: must be empty for a Tmpfs mount",
                "spec.hostname: \"web.local\" is not a DNS-1123 label: use lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. my-name)"),
                container("""
                  image: b
                  env: [{name: A}, {name: A}]
                  workingDir: srv
                  user: root user
                  mounts: [{destination: /x, source: /a/../b}, {destination: /x, type: Tmpfs, source: /y}]
                  hostname: web.local
                """));
    }

    @Test
    void mountsMayNotReplaceWhatTheRuntimeMounts() {
        assertEquals(List.of(
                "spec.mounts[0].destination: \"/\" is where the runtime mounts the container's root file system; mount somewhere else (e.g. /data)",
                "spec.mounts[1].destination: \"/proc\" is where the runtime mounts a kernel file system; mount somewhere else (e.g. /data)",
                "spec.mounts[2].destination: \"/sys/fs/cgroup\" is where the runtime mounts a kernel file system; mount somewhere else (e.g. /data)",
                "spec.mounts[3].destination: \"/dev/pts\" is where the runtime mounts a kernel file system; mount somewhere else (e.g. /data)",
                "spec.mounts[4].destination: \"/proc/sys\" is where the runtime mounts a kernel file system; mount somewhere else (e.g. /data)"),
                container("""
                  image: b
                  mounts: [{destination: /, source: /srv/a}, {destination: /proc, type: Tmpfs},
                    {destination: /sys/fs/cgroup, source: /srv/c}, {destination: /dev/pts, type: Tmpfs},
                    {destination: /proc/sys, source: /srv/d}, {destination: /dev/shm, type: Tmpfs}]
                """));
    }

    @Test
    void snapshotNeedsExactlyOneParent() {
        String base = "apiVersion: berth.dev/v1alpha1\nkind: Snapshot\nmetadata: {name: s}\nspec: ";
        assertEquals(List.of("spec: set exactly one of spec.image (an Image object) and spec.parent (a Snapshot object)"),
                errors(base + "{kind: View}\n"));
        assertEquals(List.of("spec: set exactly one of spec.image (an Image object) and spec.parent (a Snapshot object)"),
                errors(base + "{image: a, parent: b}\n"));
        assertEquals(List.of("spec.mountPath: \"rel/dir\" must be an absolute path"), errors(base + "{image: a, mountPath: rel/dir}\n"));
        assertEquals(List.of(), errors(base + "{image: a, kind: View, mountPath: /mnt/busybox, readOnly: true}\n"));
    }

    @Test
    void programmaticObjectsAreCheckedToo() {
        Image i = new Image();
        i.setMetadata(new ObjectMetaBuilder().withName("ok").build());
        i.setSpec(new ImageSpec("busybox", null, null, null, null, null));
        Validator.check(i);
        Snapshot s = new Snapshot();
        s.setMetadata(new ObjectMetaBuilder().withName("s").build());
        s.setSpec(new SnapshotSpec("busybox", null, null, "/mnt/x", false, null));
        Validator.check(s);
        Container c = new Container();
        c.setMetadata(new ObjectMetaBuilder().withName("c").build());
        c.setSpec(new ContainerSpec("Bad Name", null, null, null, null, null, null, null, null, false, null, null, null, null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Validator.check(c));
        assertTrue(e.getMessage().startsWith("invalid Container c:\n  spec.image: must name an Image object"), e.getMessage());
    }
}
