package dev.berth.crd.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.crd.container.Container;
import dev.berth.crd.container.RestartPolicy;
import dev.berth.crd.image.Image;
import dev.berth.crd.image.PullPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

class SpecCodecTest {
    private final SpecCodec codec = new SpecCodec();

    private static final String TWO_DOCS = """
            # leading comment
            apiVersion: berth.dev/v1alpha1
            kind: Image
            metadata:
              name: busybox
            spec:
              ref: localhost/berth/busybox:latest
              pullPolicy: Never
            ---
            ---
            apiVersion: berth.dev/v1alpha1
            kind: Container
            metadata:
              name: web
              labels: {app: web}
            spec:
              image: busybox
              args: ["httpd", "-f"]
              resources:
                memory: 64Mi
                cpu: 1
              restartPolicy: OnFailure
            """;

    @Test
    void decodesMultipleDocumentsWithTheirFirstLines() {
        List<Document> docs = codec.read("web.yaml", TWO_DOCS);
        assertEquals(2, docs.size());
        Image image = assertInstanceOf(Image.class, docs.get(0).object());
        assertEquals("localhost/berth/busybox:latest", image.getSpec().ref());
        assertEquals(PullPolicy.Never, image.getSpec().pullPolicy());
        assertEquals(2, docs.get(0).line());
        Container c = assertInstanceOf(Container.class, docs.get(1).object());
        assertEquals(RestartPolicy.OnFailure, c.getSpec().restartPolicy());
        assertEquals("1", c.getSpec().resources().cpu(), "a bare number is kept as quantity text");
        assertEquals(11, docs.get(1).line());
        assertEquals(20, docs.get(1).lineOf("spec.resources.memory"));
        assertEquals(18, docs.get(1).lineOf("spec.args[1]"));
        assertEquals("Container/default/web", docs.get(1).ref().toString());
        assertEquals(1, docs.get(1).index(), "empty documents are skipped");
    }

    @Test
    void defaultsAreFilledIn() {
        Image image = (Image) codec.read("x", """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: a}
                spec: {ref: busybox}
                """).get(0).object();
        assertEquals(PullPolicy.IfNotPresent, image.getSpec().pullPolicy());
    }

    @Test
    void unknownFieldsAreAllReportedWithPathLineAndSuggestion() {
        SpecException e = assertThrows(SpecException.class, () -> codec.decode("c.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata:
                  name: web
                  lables: {a: b}
                spec:
                  image: busybox
                  resurces:
                    memory: 64Mi
                  env:
                    - name: A
                      valeu: x
                  frobnicate: true
                """));
        List<String> messages = e.errors().stream().map(SpecError::toString).toList();
        assertTrue(messages.contains("c.yaml:8: spec.resurces: unknown field (did you mean spec.resources?)"), messages.toString());
        assertTrue(messages.contains("c.yaml:12: spec.env[0].valeu: unknown field (did you mean spec.env[0].value?)"), messages.toString());
        assertTrue(messages.contains("c.yaml:13: spec.frobnicate: unknown field"), messages.toString());
        assertTrue(messages.contains("c.yaml:5: metadata.lables: unknown field (did you mean metadata.labels?)"), messages.toString());
        assertEquals(4, e.errors().size(), messages.toString());
    }

    @Test
    void wrongTypesNameThePathLineAndExpectedType() {
        SpecException e = assertThrows(SpecException.class, () -> codec.decode("i.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata: {name: web}
                spec:
                  image: 42
                  readOnlyRootFilesystem: "yes"
                  resources:
                    pids: many
                  args: oops
                  restartPolicy: Sometimes
                """));
        List<String> messages = e.errors().stream().map(SpecError::toString).toList();
        assertTrue(messages.contains("i.yaml:5: spec.image: expected a string, got 42"), messages.toString());
        assertTrue(messages.contains("i.yaml:6: spec.readOnlyRootFilesystem: expected true or false, got the string \"yes\""), messages.toString());
        assertTrue(messages.contains("i.yaml:8: spec.resources.pids: expected an integer, got the string \"many\""), messages.toString());
        assertTrue(messages.contains("i.yaml:9: spec.args: expected a list, got the string \"oops\""), messages.toString());
        assertTrue(messages.contains("i.yaml:10: spec.restartPolicy: \"Sometimes\" is not one of Always, OnFailure, Never"), messages.toString());
    }

    @Test
    void malformedYamlReportsTheLine() {
        SpecException e = assertThrows(SpecException.class, () -> codec.decode("bad.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata:
                  name: a
                 spec: [unclosed
                """));
        SpecError err = e.errors().get(0);
        assertTrue(err.message().startsWith("not valid YAML"), err.toString());
        assertTrue(err.line() >= 4 && err.line() <= 6, err.toString());
    }

    @Test
    void duplicateKeysAreRejected() {
        SpecException e = assertThrows(SpecException.class, () -> codec.decode("d.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: a}
                spec:
                  ref: busybox
                  ref: alpine
                """));
        assertEquals("d.yaml:6: spec.ref: duplicate field (first at line 5)", e.errors().get(0).toString());
    }

    @Test
    void unknownKindAndApiVersion() {
        SpecException e = assertThrows(SpecException.class, () -> codec.decode("k.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Containr
                metadata: {name: a}
                ---
                apiVersion: v1
                kind: Image
                metadata: {name: b}
                ---
                - just a list
                """));
        List<String> messages = e.errors().stream().map(SpecError::toString).toList();
        assertEquals(List.of(
                "k.yaml:2: kind: \"Containr\" is not a Berth kind (did you mean Container?)",
                "k.yaml:5: apiVersion: \"v1\" is not served here; use berth.dev/v1alpha1",
                "k.yaml:9: a document must be a mapping with apiVersion, kind, metadata and spec"), messages);
    }

    @Test
    void validationErrorsCarryLines() {
        SpecException e = assertThrows(SpecException.class, () -> codec.read("v.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Container
                metadata:
                  name: Web_1
                spec:
                  image: busybox
                  resources:
                    memory: 12XB
                """));
        List<String> messages = e.errors().stream().map(SpecError::toString).toList();
        assertTrue(messages.contains("v.yaml:8: spec.resources.memory: \"12XB\" is not a quantity (e.g. 64Mi)"), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("v.yaml:4: metadata.name: \"Web_1\" is not a DNS-1123 label")), messages.toString());
    }

    @Test
    void jsonIsAcceptedAndRoundTrips() {
        Container c = (Container) codec.read("api", """
                {"apiVersion": "berth.dev/v1alpha1", "kind": "Container",
                 "metadata": {"name": "w", "namespace": "prod"},
                 "spec": {"image": "busybox", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "true"},
                          {"name": "C", "value": "null"}, {"name": "D", "value": "a: b"}]}}
                """).get(0).object();
        String yaml = codec.toYaml(c);
        Container again = (Container) codec.read("again", yaml).get(0).object();
        assertEquals(c.getSpec(), again.getSpec());
        assertEquals("prod", again.getMetadata().getNamespace());
        assertNull(again.getStatus());
        assertTrue(!yaml.contains(": null\n"), yaml);
        Container viaJson = codec.fromJson(codec.toJson(c), Container.class);
        assertEquals(c.getSpec(), viaJson.getSpec());
        assertEquals(c.getSpec(), codec.copy(c).getSpec());
    }

    @Test
    void topLevelTyposAreCaught() {
        SpecException e = assertThrows(SpecException.class, () -> codec.decode("t.yaml", """
                apiVersion: berth.dev/v1alpha1
                kind: Image
                metadata: {name: a}
                specs: {ref: busybox}
                """));
        assertEquals(List.of("t.yaml:4: specs: unknown field (did you mean spec?)"),
                e.errors().stream().map(SpecError::toString).toList());
    }

    @Test
    void emptyStreamHasNoDocuments() {
        assertEquals(List.of(), codec.read("empty", "# nothing here\n---\n"));
    }
}
