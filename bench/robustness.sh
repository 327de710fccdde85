#!/bin/sh
# Robustness benchmark (issue 12): time to re-monitor 20 containers after a daemon SIGKILL and
# stall detection through a stalling proxy in front of a real docker-registry, side by side with a
# private containerd (see robustness_bench.py). Needs root, runc, conmon, containerd + ctr,
# docker-registry, skopeo, curl, python3, busybox-static and the built jars (bin/berth builds them).
# Arguments go to robustness_bench.py, e.g. --reps 5 --phases remonitor.
set -e
here=$(cd "$(dirname "$0")" && pwd)
for c in runc conmon containerd ctr docker-registry skopeo curl python3; do
  command -v "$c" >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (mounts, cgroups, runc)" >&2; exit 1; }
"$here/../bin/berth" version >/dev/null
exec python3 "$here/robustness_bench.py" "$@"
