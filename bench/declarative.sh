#!/bin/sh
# Declarative-core benchmark (issue 6): apply -> Running against `ctr run -d`, 100 containers at
# once, CPU of a no-change resync of 1,000 objects, daemon idle CPU with 100 objects. One Berth
# daemon on a private root/state/socket and one private containerd, both removed at the end (see
# declarative_bench.py). Needs root, runc, conmon, containerd, ctr, busybox-static, python3 and the
# built jars (bin/berth builds them). Extra arguments go to declarative_bench.py, e.g. --reps 5.
set -e
here=$(cd "$(dirname "$0")" && pwd)
for c in runc conmon containerd ctr python3; do
  command -v "$c" >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (mounts, cgroups, runc)" >&2; exit 1; }
"$here/../bin/berth" version >/dev/null
exec python3 "$here/declarative_bench.py" "$@"
