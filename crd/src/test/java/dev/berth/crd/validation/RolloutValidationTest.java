package dev.berth.crd.validation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.berth.crd.codec.SpecCodec;
import dev.berth.crd.image.GoDurations;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** spec.updateInterval (Flux's duration format) and spec.progressDeadlineSeconds: parsed, and refused with field paths. */
class RolloutValidationTest {
    private final SpecCodec codec = new SpecCodec();

    private List<String> errors(String kind, String spec) {
        HasMetadata o = (HasMetadata) codec.decode("t", "apiVersion: berth.dev/v1alpha1\nkind: " + kind
                + "\nmetadata: {name: x}\nspec:\n" + spec).get(0).object();
        return Validator.validate(o).stream().map(FieldError::toString).toList();
    }

    @Test
    void goDurationsParseAsFluxWritesThem() {
        assertEquals(Duration.ofSeconds(30), GoDurations.parse("30s"));
        assertEquals(Duration.ofMinutes(5), GoDurations.parse("5m"));
        assertEquals(Duration.ofMinutes(90), GoDurations.parse("1h30m"));
        assertEquals(Duration.ofMinutes(90), GoDurations.parse("1.5h"));
        assertEquals(Duration.ofMillis(1500), GoDurations.parse("1s500ms"));
        assertThrows(IllegalArgumentException.class, () -> GoDurations.parse("5"));
        assertThrows(IllegalArgumentException.class, () -> GoDurations.parse("5 m"));
        assertThrows(IllegalArgumentException.class, () -> GoDurations.parse("-5m"));
    }

    @Test
    void badUpdateIntervalsAreNamed() {
        assertEquals(List.of(), errors("Image", "  {ref: busybox, pullPolicy: Always, updateInterval: 5m}\n"));
        assertEquals(List.of("spec.updateInterval: \"5 minutes\" is not a duration (units ns, us, ms, s, m, h; e.g. 30s, 5m, 1h30m)"),
                errors("Image", "  {ref: busybox, pullPolicy: Always, updateInterval: 5 minutes}\n"));
        assertEquals(List.of("spec.updateInterval: \"500ms\" is shorter than 1s; check the registry at most once a"
                + " second (e.g. 30s, 5m)"), errors("Image", "  {ref: busybox, pullPolicy: Always, updateInterval: 500ms}\n"));
        assertEquals(List.of("spec.updateInterval: only an image with pullPolicy: Always is checked for updates; set"
                + " spec.pullPolicy: Always or remove spec.updateInterval"), errors("Image", "  {ref: busybox, updateInterval: 1m}\n"));
    }

    @Test
    void aProgressDeadlineBelowOneSecondIsNamed() {
        assertEquals(List.of(), errors("Container", "  {image: busybox, progressDeadlineSeconds: 30}\n"));
        assertEquals(List.of("spec.progressDeadlineSeconds: 0 is too small: it is the number of seconds a rolled-out"
                + " task may take to become Ready, at least 1 (leave it out for 600)"),
                errors("Container", "  {image: busybox, progressDeadlineSeconds: 0}\n"));
    }
}
