package dev.berth.engine.cni;

import dev.berth.engine.errdefs.BerthException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Attachments on disk, one JSON file per (network, container, interface) as libcni's cache keeps
 * them: the exact configuration list bytes, the attachment (args, capability arguments, netns) and,
 * once ADD finished, its result. An entry is written <em>before</em> ADD runs, so after a crash in
 * the middle of an ADD the DEL that follows still knows the network, the args and the ports that
 * were asked for, and releases what the plugins had already made. Files are replaced atomically
 * and fsynced. Thread-safe for distinct attachments.
 */
public final class ResultCache {
    private static final String KIND = "cniCacheV1";
    private final Path dir;

    public ResultCache(Path dir) {
        this.dir = dir;
    }

    /** One cached attachment; {@code result} is empty while (or when) its ADD did not finish. */
    public record Entry(NetworkConfigList list, Attachment attachment, Optional<CniResult> result) {
    }

    private Path file(String network, Attachment a) {
        return dir.resolve(network + "-" + a.containerId() + "-" + a.ifName());
    }

    /** Writes (replaces) the entry for {@code list} and {@code a}. */
    public void put(NetworkConfigList list, Attachment a, CniResult result) {
        ObjectNode o = CniJson.MAPPER.createObjectNode();
        o.put("kind", KIND);
        o.put("containerId", a.containerId());
        o.put("ifName", a.ifName());
        o.put("networkName", list.name());
        o.put("netns", a.netnsValue());
        o.put("config", Base64.getEncoder().encodeToString(list.bytes()));
        if (list.source() != null) {
            o.put("source", list.source().toString());
        }
        ArrayNode args = o.putArray("cniArgs");
        a.args().forEach((k, v) -> args.addArray().add(k).add(v));
        o.set("capabilityArgs", CniJson.MAPPER.valueToTree(a.capabilityArgs()));
        if (result != null) {
            o.set("result", result.json());
        }
        Path target = file(list.name(), a);
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try {
            Files.createDirectories(dir);
            Files.write(tmp, CniJson.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(o));
            try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
                c.force(true);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot write the CNI result cache %s: %s", target, e.getMessage());
        }
    }

    /** Removes the entry. Idempotent. */
    public void remove(String network, Attachment a) {
        try {
            Files.deleteIfExists(file(network, a));
        } catch (IOException e) {
            throw BerthException.unavailable("cannot remove the CNI result cache %s: %s", file(network, a), e.getMessage());
        }
    }

    /** Every entry of {@code containerId} (any network, any interface). Unreadable files are skipped. */
    public List<Entry> of(String containerId) {
        List<Entry> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (var s = Files.list(dir)) {
            for (Path f : s.filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList()) {
                read(f).filter(e -> e.attachment().containerId().equals(containerId)).ifPresent(out::add);
            }
        } catch (IOException e) {
            throw BerthException.unavailable("cannot list the CNI result cache %s: %s", dir, e.getMessage());
        }
        return out;
    }

    private static Optional<Entry> read(Path f) {
        try {
            JsonNode o = CniJson.MAPPER.readTree(Files.readAllBytes(f));
            if (!KIND.equals(o.path("kind").asString(""))) {
                return Optional.empty();
            }
            byte[] conf = Base64.getDecoder().decode(o.path("config").asString(""));
            String src = o.path("source").asString("");
            NetworkConfigList list = NetworkConfigList.parse(conf, src.isEmpty() ? null : Path.of(src));
            Map<String, String> args = new LinkedHashMap<>();
            for (JsonNode kv : o.path("cniArgs")) {
                args.put(kv.path(0).asString(""), kv.path(1).asString(""));
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> caps = CniJson.MAPPER.treeToValue(o.path("capabilityArgs"), LinkedHashMap.class);
            Attachment a = new Attachment(o.path("containerId").asString(""), Path.of(o.path("netns").asString("")),
                    o.path("ifName").asString(""), args, caps == null ? Map.of() : caps);
            Optional<CniResult> result = o.path("result") instanceof ObjectNode r ? Optional.of(CniResult.of(r))
                    : Optional.empty();
            return Optional.of(new Entry(list, a, result));
        } catch (IOException | JacksonException | IllegalArgumentException | BerthException e) {
            return Optional.empty();
        }
    }
}
