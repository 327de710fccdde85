#!/bin/sh
# Probe cost benchmark (issue 18): N containers with an HTTP probe every 10 s, then N more with an
# exec probe every 10 s, on one private Berth daemon; the daemon's CPU and forks per minute (see
# probes_bench.py). Needs root, runc, conmon, strace, busybox-static, python3 and the built jars
# (bin/berth builds them). Arguments go to probes_bench.py, e.g. --containers 20 --window 30.
set -e
here=$(cd "$(dirname "$0")" && pwd)
for c in runc conmon strace python3; do
  command -v "$c" >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (mounts, cgroups, runc)" >&2; exit 1; }
"$here/../bin/berth" version >/dev/null
exec python3 "$here/probes_bench.py" "$@"
