package dev.berth.engine.cni;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetworkConfigListTest {
    @TempDir
    Path dir;

    @Test
    void theLexicallyFirstFileIsTheNetworkAndASingleConfIsAOnePluginList() throws Exception {
        Files.writeString(dir.resolve("20-b.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"b\",\"plugins\":[{\"type\":\"bridge\"}]}");
        Files.writeString(dir.resolve("10-a.conf"), "{\"cniVersion\":\"0.4.0\",\"name\":\"a\",\"type\":\"bridge\"}");
        Files.writeString(dir.resolve("README"), "not a config");
        NetworkConfigList l = NetworkConfigList.load(dir);
        assertEquals("a", l.name());
        assertEquals(1, l.plugins().size());
        assertTrue(l.supportsCheck());
        assertFalse(NetworkConfigList.parse("{\"cniVersion\":\"0.3.1\",\"name\":\"c\",\"plugins\":[{\"type\":\"x\"}]}"
                .getBytes(), null).supportsCheck());
    }

    @Test
    void anUnparsableFirstFileIsNamedAndNotSkipped() throws Exception {
        Files.writeString(dir.resolve("10-bad.conflist"), "{\"cniVersion\":");
        Files.writeString(dir.resolve("20-good.conflist"), "{\"cniVersion\":\"1.0.0\",\"name\":\"g\",\"plugins\":[{\"type\":\"x\"}]}");
        BerthException e = assertThrows(BerthException.class, () -> NetworkConfigList.load(dir));
        assertTrue(e.getMessage().contains("10-bad.conflist") && e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void badFieldsAreNamed() {
        BerthException noType = assertThrows(BerthException.class, () -> NetworkConfigList.parse(
                "{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"a\"},{}]}".getBytes(), Path.of("x.conflist")));
        assertTrue(noType.getMessage().contains("plugins[1] has no \"type\""), noType.getMessage());
        BerthException version = assertThrows(BerthException.class, () -> NetworkConfigList.parse(
                "{\"cniVersion\":\"2.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"a\"}]}".getBytes(), Path.of("x.conflist")));
        assertTrue(version.getMessage().contains("\"cniVersion\" \"2.0.0\""), version.getMessage());
    }

    @Test
    void anEmptyConfDirSaysWhatToDo() {
        BerthException e = assertThrows(BerthException.class, () -> NetworkConfigList.load(dir.resolve("absent")));
        assertTrue(e.getMessage().contains("conf_dir") && e.getMessage().contains("spec.network: Host or None"));
    }

    @Test
    void pluginsGetOnlyTheCapabilitiesTheyDeclare() throws Exception {
        var plugin = (tools.jackson.databind.node.ObjectNode) CniJson.MAPPER.readTree(
                "{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}");
        var rc = Cni.runtimeConfig(plugin, Map.of("portMappings", List.of(Map.of("hostPort", 80)), "dns", Map.of()));
        assertEquals("{\"portMappings\":[{\"hostPort\":80}]}", rc.toString());
        assertEquals(null, Cni.runtimeConfig(plugin, Map.of("dns", Map.of())));
    }

    @Test
    void cniArgsAreKeyValuePairsInOrder() {
        var args = new java.util.LinkedHashMap<String, String>();
        args.put("IgnoreUnknown", "1");
        args.put("K8S_POD_NAME", "web");
        assertEquals("IgnoreUnknown=1;K8S_POD_NAME=web",
                new Attachment("c", Path.of("/x"), "eth0", args, Map.of()).cniArgs());
    }
}
