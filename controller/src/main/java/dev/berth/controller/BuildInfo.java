package dev.berth.controller;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** What the build baked into the jar. Stateless and thread-safe. */
public final class BuildInfo {
    private BuildInfo() {
    }

    // read once: a daemon keeps answering its own version after its jar is rebuilt or upgraded under it
    private static final String VERSION = read();

    /** The version baked into the jar at build time, or "unknown". */
    public static String version() {
        return VERSION;
    }

    private static final String REVISION = readRevision();

    /** The source revision (git's short commit id) baked into the jar at build time, or "unknown". */
    public static String revision() {
        return REVISION;
    }

    private static String readRevision() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/berth/controller/revision")) {
            String r = in == null ? "" : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            return r.isEmpty() ? "unknown" : r;
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String read() {
        return property("version");
    }

    private static String property(String key) {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/berth/controller/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            String v = p.getProperty(key, "unknown");
            return v.isEmpty() || v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
