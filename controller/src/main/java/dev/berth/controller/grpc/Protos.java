package dev.berth.controller.grpc;

import com.google.protobuf.Timestamp;
import dev.berth.api.containerd.types.Descriptor;
import dev.berth.api.containerd.types.Mount;
import dev.berth.engine.oci.Digest;
import java.time.Instant;
import java.util.List;

/** Conversions between the engine's records and containerd's protobuf messages. Stateless. */
final class Protos {
    private Protos() {
    }

    static Timestamp time(Instant t) {
        if (t == null) {
            return Timestamp.getDefaultInstance();
        }
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    static Instant instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
    }

    static Descriptor descriptor(dev.berth.engine.oci.Descriptor d) {
        Descriptor.Builder b = Descriptor.newBuilder().setMediaType(nz(d.mediaType())).setDigest(d.digest().toString())
                .setSize(d.size());
        if (d.annotations() != null) {
            b.putAllAnnotations(d.annotations());
        }
        return b.build();
    }

    static dev.berth.engine.oci.Descriptor descriptor(Descriptor d) {
        return dev.berth.engine.oci.Descriptor.of(d.getMediaType(), digest(d.getDigest(), "target.digest"), d.getSize())
                .withAnnotations(d.getAnnotationsMap().isEmpty() ? null : d.getAnnotationsMap());
    }

    static Digest digest(String s, String field) {
        try {
            return Digest.parse(s);
        } catch (RuntimeException e) {
            throw Errors.invalid("%s \"%s\" is not a digest (sha256:<64 hex digits>): %s", field, s, e.getMessage());
        }
    }

    static List<Mount> mounts(List<dev.berth.engine.mount.Mount> ms) {
        return ms.stream().map(m -> Mount.newBuilder().setType(m.type()).setSource(nz(m.source()))
                .addAllOptions(m.options()).build()).toList();
    }

    /** A client's mounts (from Snapshots/Mounts) as the engine's. */
    static List<dev.berth.engine.mount.Mount> engineMounts(List<Mount> given) {
        return given.stream().map(m -> new dev.berth.engine.mount.Mount(m.getType(), m.getSource(), m.getOptionsList()))
                .toList();
    }

    static String nz(String s) {
        return s == null ? "" : s;
    }
}
