package dev.berth.crd.quantity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class QuantitiesTest {
    @ParameterizedTest
    @CsvSource({
        "64Mi, 67108864", "1Gi, 1073741824", "1Ki, 1024", "128974848, 128974848", "129e6, 129000000",
        "129M, 129000000", "123k, 123000", "0.5Gi, 536870912", "1.5Ki, 1536", "1E3, 1000", "0.1, 1", "1Ei, 1152921504606846976"})
    void memoryBytes(String text, long bytes) {
        assertEquals(bytes, Quantities.memoryBytes(text));
    }

    @ParameterizedTest
    @CsvSource({"500m, 500", "1, 1000", "1.5, 1500", "0.1, 100", "2k, 2000000", "100u, 1", "1m, 1", "0, 0", "250m, 250"})
    void cpuMillis(String text, long millis) {
        assertEquals(millis, Quantities.cpuMillis(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"12XB", "64mb", "64MB", "1.5.2", "", " 64Mi", "64Mi ", "Mi", "1 Gi", "0x10", "1e", "--1", "1e999", "e3", "1ki"})
    void rejectsWhatKubernetesRejects(String text) {
        QuantityException e = assertThrows(QuantityException.class, () -> Quantities.cpuMillis(text));
        assertEquals(text, e.text());
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-64Mi"})
    void negativeIsRejected(String text) {
        QuantityException e = assertThrows(QuantityException.class, () -> Quantities.memoryBytes(text));
        assertEquals("\"" + text + "\" is not usable: must not be negative", e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void milliBytesAreCalledOutAsATypo() {
        QuantityException e = assertThrows(QuantityException.class, () -> Quantities.memoryBytes("100m"));
        assertEquals("\"100m\" is not usable: 'm' means thousandths of a byte; write 100Mi for mebibytes", e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void overflowIsRejected() {
        assertThrows(QuantityException.class, () -> Quantities.memoryBytes("16Ei"));
        assertEquals("\"12XB\" is not a quantity", assertThrows(QuantityException.class,
                () -> Quantities.memoryBytes("12XB")).getMessage());
    }
}
