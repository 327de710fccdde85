package dev.berth.engine.config;

import java.util.ArrayList;
import java.util.List;

/** Well-known containerd config.toml section paths for version 2 and version 3 layouts. */
public final class Layout {
    private Layout() {
    }

    /** Version 2: the single CRI plugin section. */
    public static final List<String> V2_CRI = List.of("plugins", "io.containerd.grpc.v1.cri");
    /** Version 3: the CRI image service section. */
    public static final List<String> V3_IMAGES = List.of("plugins", "io.containerd.cri.v1.images");
    /** Version 3: the CRI runtime service section. */
    public static final List<String> V3_RUNTIME = List.of("plugins", "io.containerd.cri.v1.runtime");

    /** {@code base} followed by {@code more}. */
    public static List<String> path(List<String> base, String... more) {
        List<String> p = new ArrayList<>(base);
        p.addAll(List.of(more));
        return List.copyOf(p);
    }
}
