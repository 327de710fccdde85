package dev.berth.crd.sandbox;

import dev.berth.crd.quantity.QuantityException;
import dev.berth.crd.quantity.Quantities;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/**
 * The bandwidth limits a Sandbox asks for, from {@code spec.bandwidth} or, when that is absent,
 * from kubelet's pod annotations {@code kubernetes.io/ingress-bandwidth} and
 * {@code kubernetes.io/egress-bandwidth} (rates only), and their conversion to the bandwidth
 * plugin's numbers. Stateless and thread-safe.
 */
public final class Bandwidths {
    /** kubelet's annotation for the rate of traffic into the pod. */
    public static final String INGRESS_ANNOTATION = "kubernetes.io/ingress-bandwidth";
    /** kubelet's annotation for the rate of traffic out of the pod. */
    public static final String EGRESS_ANNOTATION = "kubernetes.io/egress-bandwidth";
    /** kubelet refuses rates below 1k bits/s ... */
    public static final long MIN_RATE = 1_000L;
    /** ... and above 1P bits/s. */
    public static final long MAX_RATE = 1_000_000_000_000_000L;
    /** The burst a rate without one gets (bits): containerd's CRI plugin sets math.MaxUint32. */
    public static final long DEFAULT_BURST = 4_294_967_295L;
    /** The bandwidth plugin refuses bursts of 4 GiB (in bytes) or more. */
    public static final long MAX_BURST = 4L * 1024 * 1024 * 1024 * 8 - 1;

    private Bandwidths() {
    }

    /** The limits {@code sb} asks for, or null when none. */
    public static SandboxSpec.Bandwidth of(Sandbox sb) {
        SandboxSpec spec = sb.getSpec();
        if (spec != null && spec.bandwidth() != null) {
            return spec.bandwidth();
        }
        Map<String, String> a = sb.getMetadata() == null ? null : sb.getMetadata().getAnnotations();
        if (a == null || (!a.containsKey(INGRESS_ANNOTATION) && !a.containsKey(EGRESS_ANNOTATION))) {
            return null;
        }
        return new SandboxSpec.Bandwidth(a.get(INGRESS_ANNOTATION), null, a.get(EGRESS_ANNOTATION), null);
    }

    /** {@code text} as a whole number of bits (rounded up, as Kubernetes converts quantities). */
    public static long bits(String text) throws QuantityException {
        BigDecimal v = Quantities.parse(text);
        if (v.signum() <= 0) {
            throw new QuantityException(text, "must be positive");
        }
        BigDecimal up = v.setScale(0, RoundingMode.CEILING);
        if (up.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new QuantityException(text, "too large");
        }
        return up.longValueExact();
    }
}
