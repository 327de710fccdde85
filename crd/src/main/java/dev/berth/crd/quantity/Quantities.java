package dev.berth.crd.quantity;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Strict parser for Kubernetes resource quantities ({@code 64Mi}, {@code 1.5G}, {@code 500m},
 * {@code 2}, {@code 1e3}): a signed decimal number followed by a binary-SI suffix (Ki Mi Gi Ti Pi
 * Ei), a decimal-SI suffix (n u m k M G T P E) or a decimal exponent (e3, E-2). Anything else, such as
 * {@code 12XB}, {@code 1.5.2} or {@code 64mb}, is rejected. As in Kubernetes, converting to an
 * integer unit rounds up. Stateless and thread-safe.
 */
public final class Quantities {
    private static final Pattern QUANTITY =
            Pattern.compile("([+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?");
    private static final Map<String, BigDecimal> SUFFIX = Map.ofEntries(
            Map.entry("Ki", BigDecimal.valueOf(1L << 10)), Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
            Map.entry("Gi", BigDecimal.valueOf(1L << 30)), Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
            Map.entry("Pi", BigDecimal.valueOf(1L << 50)), Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
            Map.entry("n", new BigDecimal("1e-9")), Map.entry("u", new BigDecimal("1e-6")),
            Map.entry("m", new BigDecimal("1e-3")), Map.entry("k", new BigDecimal("1e3")),
            Map.entry("M", new BigDecimal("1e6")), Map.entry("G", new BigDecimal("1e9")),
            Map.entry("T", new BigDecimal("1e12")), Map.entry("P", new BigDecimal("1e15")),
            Map.entry("E", new BigDecimal("1e18")));
    private static final BigDecimal LONG_MAX = BigDecimal.valueOf(Long.MAX_VALUE);

    private Quantities() {
    }

    /** The exact value of {@code text}. */
    public static BigDecimal parse(String text) throws QuantityException {
        if (text == null) {
            throw new QuantityException("null", "a quantity is required");
        }
        Matcher m = QUANTITY.matcher(text);
        if (!m.matches()) {
            throw new QuantityException(text, null);
        }
        BigDecimal number = new BigDecimal(m.group(1));
        String suffix = m.group(2);
        if (suffix == null) {
            return number;
        }
        if (!SUFFIX.containsKey(suffix)) {
            int exp;
            try {
                exp = Integer.parseInt(suffix.substring(1));
            } catch (NumberFormatException e) {
                throw new QuantityException(text, "exponent out of range");
            }
            if (Math.abs(exp) > 60) {
                throw new QuantityException(text, "exponent out of range");
            }
            return number.scaleByPowerOfTen(exp);
        }
        return number.multiply(SUFFIX.get(suffix));
    }

    /**
     * Memory in bytes, rounded up. Rejects negative values and the milli suffix, which in Kubernetes
     * means thousandths of a byte and is almost always a typo for Mi.
     */
    public static long memoryBytes(String text) throws QuantityException {
        BigDecimal v = parse(text);
        if (text.endsWith("m")) {
            throw new QuantityException(text, "'m' means thousandths of a byte; write " + text.substring(0, text.length() - 1) + "Mi for mebibytes");
        }
        return toLong(text, v);
    }

    /** CPU in millicores ({@code 500m} = 500, {@code 1.5} = 1500), rounded up. */
    public static long cpuMillis(String text) throws QuantityException {
        return toLong(text, parse(text).movePointRight(3));
    }

    private static long toLong(String text, BigDecimal v) throws QuantityException {
        if (v.signum() < 0) {
            throw new QuantityException(text, "must not be negative");
        }
        BigDecimal up = v.setScale(0, RoundingMode.CEILING);
        if (up.compareTo(LONG_MAX) > 0) {
            throw new QuantityException(text, "too large");
        }
        return up.longValueExact();
    }
}
