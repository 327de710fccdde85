#!/bin/sh
# Metrics scrape cost (issue 15): Berth's /v1/metrics against containerd's with the same N running
# containers (default 100), CPU per scrape and the cost of a 15 s scrape interval. One private Berth
# daemon and one private containerd, both removed at the end (see metrics_bench.py). Needs root,
# runc, conmon, containerd, ctr, busybox-static, python3 and the built jars (bin/berth builds them).
# Extra arguments go to metrics_bench.py, e.g. --containers 50 --scrapes 20.
set -e
here=$(cd "$(dirname "$0")" && pwd)
for c in runc conmon containerd ctr python3; do
  command -v "$c" >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (mounts, cgroups, runc)" >&2; exit 1; }
"$here/../bin/berth" version >/dev/null
exec python3 "$here/metrics_bench.py" "$@"
