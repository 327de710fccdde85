package dev.berth.engine.runtime.spec;

import java.util.List;

/**
 * containerd's defaults for a Linux container ({@code oci.populateDefaultUnixSpec} plus CRI's
 * read-only cgroup mount): the capability set, mounts, masked and read-only paths, and rlimits.
 */
public final class SpecDefaults {
    private SpecDefaults() {
    }

    public static final String DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** containerd's default capability set (bounding = effective = permitted). */
    public static final List<String> CAPABILITIES = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
            "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    public static final List<RuntimeSpec.Mount> MOUNTS = List.of(
            new RuntimeSpec.Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")),
            new RuntimeSpec.Mount("/dev", "tmpfs", "tmpfs",
                    List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
            new RuntimeSpec.Mount("/dev/pts", "devpts", "devpts",
                    List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")),
            new RuntimeSpec.Mount("/dev/shm", "tmpfs", "shm",
                    List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
            new RuntimeSpec.Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
            new RuntimeSpec.Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")),
            new RuntimeSpec.Mount("/sys/fs/cgroup", "cgroup", "cgroup",
                    List.of("nosuid", "noexec", "nodev", "relatime", "ro")),
            new RuntimeSpec.Mount("/run", "tmpfs", "tmpfs",
                    List.of("nosuid", "strictatime", "mode=755", "size=65536k")));

    public static final List<String> MASKED_PATHS = List.of(
            "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/sys/devices/virtual/powercap", "/proc/scsi");

    public static final List<String> READONLY_PATHS = List.of(
            "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");

    /** RLIMIT_NOFILE 1024/1024, as containerd sets it. */
    public static final List<RuntimeSpec.Rlimit> RLIMITS = List.of(new RuntimeSpec.Rlimit("RLIMIT_NOFILE", 1024, 1024));

    /** Namespaces a container gets by default, in the order runc expects none in particular. */
    public static final List<String> NAMESPACES = List.of("pid", "ipc", "uts", "mount", "network");
}
