package dev.berth.engine.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.berth.engine.errdefs.BerthException;
import dev.berth.engine.errdefs.ErrorCategory;
import dev.berth.engine.oci.Platform;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PlatformsTest {

    @ParameterizedTest
    @CsvSource({
        "linux/amd64, linux/amd64",
        "linux/x86_64, linux/amd64",
        "linux/x86-64/v1, linux/amd64",
        "linux/amd64/v3, linux/amd64/v3",
        "linux/aarch64, linux/arm64",
        "linux/arm64/v8, linux/arm64",
        "linux/arm64/8, linux/arm64",
        "linux/arm64/v8.0, linux/arm64",
        "linux/arm64/v8.2, linux/arm64/v8.2",
        "linux/arm64/9, linux/arm64/v9",
        "linux/armhf, linux/arm/v7",
        "linux/armel, linux/arm/v6",
        "linux/arm, linux/arm/v7",
        "linux/arm/6, linux/arm/v6",
        "linux/i386, linux/386",
        "macos/arm64, darwin/arm64",
        "LINUX/AMD64, linux/amd64",
        "arm64, linux/arm64",
        "windows/amd64, windows/amd64",
        "linux/s390x, linux/s390x",
    })
    void parsesAndNormalises(String in, String out) {
        assertEquals(out, Platforms.format(Platforms.parse(in)));
    }

    @Test
    void rejectsBadPlatforms() {
        for (String bad : List.of("", "linux/amd64/v3/x", "linux//amd64", "no such", "frobnicator")) {
            BerthException e = assertThrows(BerthException.class, () -> Platforms.parse(bad), bad);
            assertEquals(ErrorCategory.INVALID_ARGUMENT, e.category());
        }
    }

    @Test
    void bareOsUsesHostArchitecture() {
        assertEquals(Platforms.host().architecture(), Platforms.parse("linux").architecture());
    }

    @Test
    void amd64PrefersItselfThenOlderLevelsThen386() {
        PlatformMatcher m = Platforms.only(Platforms.parse("linux/amd64/v3"));
        assertTrue(m.matches(Platform.of("linux", "amd64", "v2")));
        assertTrue(m.matches(Platform.of("linux", "x86_64", null)));
        assertTrue(m.matches(Platform.of("linux", "386", null)));
        assertFalse(m.matches(Platform.of("linux", "amd64", "v4")));
        assertFalse(m.matches(Platform.of("linux", "arm64", null)));
        assertFalse(m.matches(Platform.of("windows", "amd64", null)));
        List<Platform> ps = new ArrayList<>(List.of(Platform.of("linux", "386", null), Platform.of("linux", "amd64", null),
                Platform.of("linux", "amd64", "v3"), Platform.of("linux", "amd64", "v2")));
        ps.sort(m.comparator());
        assertEquals(List.of("linux/amd64/v3", "linux/amd64/v2", "linux/amd64", "linux/386"),
                ps.stream().map(Platforms::format).toList());
    }

    @Test
    void arm64RunsArm64AndArmButNotTheOtherWay() {
        PlatformMatcher arm64 = Platforms.only(Platforms.parse("linux/arm64"));
        assertTrue(arm64.matches(Platform.of("linux", "arm64", "v8")));
        assertTrue(arm64.matches(Platform.of("linux", "aarch64", null)));
        assertTrue(arm64.matches(Platform.of("linux", "arm", "v7")));
        assertFalse(arm64.matches(Platform.of("linux", "arm64", "v8.2")));
        assertTrue(arm64.rank(Platform.of("linux", "arm64", null)) < arm64.rank(Platform.of("linux", "arm", "v8")));
        PlatformMatcher armv7 = Platforms.only(Platforms.parse("linux/arm/v7"));
        assertTrue(armv7.matches(Platform.of("linux", "arm", "v5")));
        assertFalse(armv7.matches(Platform.of("linux", "arm", "v8")));
        assertFalse(armv7.matches(Platform.of("linux", "arm64", null)));
        PlatformMatcher v9 = Platforms.only(Platforms.parse("linux/arm64/v9.1"));
        assertTrue(v9.matches(Platform.of("linux", "arm64", "v8.6")));
        assertFalse(v9.matches(Platform.of("linux", "arm64", "v8.7")));
        assertTrue(v9.matches(Platform.of("linux", "arm64", "v9")));
    }

    @Test
    void orderedIsExactAndKeepsOrder() {
        PlatformMatcher m = Platforms.ordered(List.of(Platforms.parse("linux/arm64"), Platforms.parse("linux/amd64")));
        assertTrue(m.matches(Platform.of("linux", "aarch64", "v8")));
        assertFalse(m.matches(Platform.of("linux", "386", null)));
        assertTrue(m.rank(Platform.of("linux", "arm64", null)) < m.rank(Platform.of("linux", "amd64", null)));
        assertTrue(Platforms.all().matches(Platform.of("plan9", "mips", null)));
    }
}
