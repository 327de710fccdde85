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

    private static String read() {
        try (InputStream in = BuildInfo.class.getResourceAsStream("/dev/berth/controller/version.properties")) {
            Properties p = new Properties();
            if (in != null) {
                p.load(in);
            }
            return p.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
