package dev.berth.engine.runtime.spec;

import dev.berth.engine.errdefs.BerthException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Resolves a user string ({@code name}, {@code uid}, {@code name:group}, {@code uid:gid},
 * {@code name:gid}, {@code uid:group}) to numeric ids with the container's own {@code /etc/passwd}
 * and {@code /etc/group}, as containerd's {@code WithUser} and {@code WithAdditionalGIDs} do: a
 * numeric uid missing from passwd runs with gid 0; the supplementary groups are the groups that list
 * the user's name as a member. Stateless and thread-safe.
 */
public final class UserResolver {
    private UserResolver() {
    }

    /** Resolves {@code user} (empty or null means root) inside {@code rootfs}. */
    public static RuntimeSpec.User resolve(Path rootfs, String user) {
        if (user == null || user.isEmpty()) {
            user = "0";
        }
        String[] parts = user.split(":", 2);
        String u = parts[0];
        String g = parts.length > 1 ? parts[1] : null;
        if (u.isEmpty() || (g != null && g.isEmpty())) {
            throw BerthException.invalid("user '%s' must be name, uid, name:group or uid:gid", user);
        }
        List<String[]> passwd = table(rootfs, "/etc/passwd", 7);
        List<String[]> groups = table(rootfs, "/etc/group", 4);

        String name = null;
        int uid;
        int gid = 0;
        String[] entry = null;
        if (isNumber(u)) {
            uid = Integer.parseInt(u);
            for (String[] p : passwd) {
                if (isNumber(p[2]) && Integer.parseInt(p[2]) == uid) {
                    entry = p;
                    break;
                }
            }
        } else {
            for (String[] p : passwd) {
                if (p[0].equals(u)) {
                    entry = p;
                    break;
                }
            }
            if (entry == null) {
                throw BerthException.invalid("user '%s' is not in %s/etc/passwd; use a numeric uid or add the user "
                        + "to the image", u, rootfs);
            }
            uid = parseId(entry[2], "uid of " + u + " in /etc/passwd");
        }
        if (entry != null) {
            name = entry[0];
            gid = parseId(entry[3], "gid of " + name + " in /etc/passwd");
        }
        if (g != null) {
            if (isNumber(g)) {
                gid = Integer.parseInt(g);
            } else {
                String[] ge = null;
                for (String[] gr : groups) {
                    if (gr[0].equals(g)) {
                        ge = gr;
                        break;
                    }
                }
                if (ge == null) {
                    throw BerthException.invalid("group '%s' of user '%s' is not in %s/etc/group", g, user, rootfs);
                }
                gid = parseId(ge[2], "gid of group " + g + " in /etc/group");
            }
        }
        List<Integer> additional = new ArrayList<>();
        if (name != null && g == null) {
            for (String[] gr : groups) {
                for (String member : gr[3].split(",")) {
                    if (member.trim().equals(name) && isNumber(gr[2])) {
                        int id = Integer.parseInt(gr[2]);
                        if (id != gid && !additional.contains(id)) {
                            additional.add(id);
                        }
                    }
                }
            }
        }
        return new RuntimeSpec.User(uid, gid, List.copyOf(additional));
    }

    /** The home directory of {@code uid} in the container's passwd, or null. */
    public static String home(Path rootfs, int uid) {
        for (String[] p : table(rootfs, "/etc/passwd", 7)) {
            if (isNumber(p[2]) && Integer.parseInt(p[2]) == uid) {
                return p[5].isEmpty() ? null : p[5];
            }
        }
        return null;
    }

    private static List<String[]> table(Path rootfs, String file, int fields) {
        String text = RootfsFiles.readIfExists(rootfs, file);
        List<String[]> rows = new ArrayList<>();
        if (text == null) {
            return rows;
        }
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split(":", -1);
            if (f.length < fields - 1) {
                continue;
            }
            String[] padded = new String[fields];
            for (int i = 0; i < fields; i++) {
                padded[i] = i < f.length ? f[i] : "";
            }
            rows.add(padded);
        }
        return rows;
    }

    private static boolean isNumber(String s) {
        return !s.isEmpty() && s.length() < 11 && s.chars().allMatch(Character::isDigit)
                && Long.parseLong(s) <= Integer.MAX_VALUE;
    }

    private static int parseId(String s, String what) {
        if (!isNumber(s)) {
            throw BerthException.invalid("%s is '%s', not a number", what, s);
        }
        return Integer.parseInt(s);
    }
}
