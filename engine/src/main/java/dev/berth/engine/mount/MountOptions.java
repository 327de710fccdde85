package dev.berth.engine.mount;

import dev.berth.engine.sys.Sys;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * mount(8)-style options split into mount(2) flags and the file-system data string, with the same
 * table containerd uses. Immutable.
 *
 * @param flags       flags to set
 * @param propagation propagation flags (MS_SHARED, MS_PRIVATE, MS_SLAVE, possibly with MS_REC), applied
 *                    by a second mount(2) call
 * @param data        comma-joined options the kernel does not know as flags
 */
record MountOptions(long flags, long propagation, String data) {
    private record Flag(boolean clear, long bits) {
    }

    private static final Map<String, Flag> FLAGS = Map.ofEntries(
            Map.entry("async", new Flag(true, Sys.MS_SYNCHRONOUS)),
            Map.entry("atime", new Flag(true, Sys.MS_NOATIME)),
            Map.entry("bind", new Flag(false, Sys.MS_BIND)),
            Map.entry("defaults", new Flag(false, 0)),
            Map.entry("dev", new Flag(true, Sys.MS_NODEV)),
            Map.entry("diratime", new Flag(true, Sys.MS_NODIRATIME)),
            Map.entry("dirsync", new Flag(false, Sys.MS_DIRSYNC)),
            Map.entry("exec", new Flag(true, Sys.MS_NOEXEC)),
            Map.entry("mand", new Flag(false, Sys.MS_MANDLOCK)),
            Map.entry("noatime", new Flag(false, Sys.MS_NOATIME)),
            Map.entry("nodev", new Flag(false, Sys.MS_NODEV)),
            Map.entry("nodiratime", new Flag(false, Sys.MS_NODIRATIME)),
            Map.entry("noexec", new Flag(false, Sys.MS_NOEXEC)),
            Map.entry("nomand", new Flag(true, Sys.MS_MANDLOCK)),
            Map.entry("norelatime", new Flag(true, Sys.MS_RELATIME)),
            Map.entry("nostrictatime", new Flag(true, Sys.MS_STRICTATIME)),
            Map.entry("nosuid", new Flag(false, Sys.MS_NOSUID)),
            Map.entry("rbind", new Flag(false, Sys.MS_BIND | Sys.MS_REC)),
            Map.entry("relatime", new Flag(false, Sys.MS_RELATIME)),
            Map.entry("remount", new Flag(false, Sys.MS_REMOUNT)),
            Map.entry("ro", new Flag(false, Sys.MS_RDONLY)),
            Map.entry("rw", new Flag(true, Sys.MS_RDONLY)),
            Map.entry("strictatime", new Flag(false, Sys.MS_STRICTATIME)),
            Map.entry("suid", new Flag(true, Sys.MS_NOSUID)),
            Map.entry("sync", new Flag(false, Sys.MS_SYNCHRONOUS)));

    private static final Map<String, Long> PROPAGATION = Map.of(
            "private", Sys.MS_PRIVATE, "rprivate", Sys.MS_PRIVATE | Sys.MS_REC,
            "shared", Sys.MS_SHARED, "rshared", Sys.MS_SHARED | Sys.MS_REC,
            "slave", Sys.MS_SLAVE, "rslave", Sys.MS_SLAVE | Sys.MS_REC);

    static MountOptions parse(List<String> options) {
        long flags = 0;
        long propagation = 0;
        List<String> data = new ArrayList<>();
        for (String o : options) {
            Flag f = FLAGS.get(o);
            Long p = PROPAGATION.get(o);
            if (f != null) {
                flags = f.clear() ? flags & ~f.bits() : flags | f.bits();
            } else if (p != null) {
                propagation |= p;
            } else {
                data.add(o);
            }
        }
        return new MountOptions(flags, propagation, String.join(",", data));
    }
}
