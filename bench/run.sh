#!/bin/sh
# Runtime benchmark, Berth against containerd in one run (see runtime_bench.py for the metrics).
# Needs root, runc, conmon, containerd, ctr, busybox-static, python3, a JDK (javac), and the built
# jars (bin/berth builds them). Extra arguments go to runtime_bench.py, e.g. --containers 20 --reps 5.
set -e
here=$(cd "$(dirname "$0")" && pwd)
for c in runc conmon containerd ctr python3 javac; do
  command -v "$c" >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
"$here/../bin/berth" version >/dev/null
exec python3 "$here/runtime_bench.py" "$@"
