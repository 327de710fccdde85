#!/bin/sh
# Pod benchmark (issue 13): one networked pod from apply to its host port answering, then 50 pods at
# once (to every port answering), memory with 50 pods and the CPU of a no-change resync, Berth against
# podman 4.3 (Debian's `podman pod create -p` + `podman run -d --pod`), see pods_bench.py. Needs
# root, runc, conmon, podman (apt-get install --no-install-recommends podman; its package drops
# /etc/cni/net.d/87-podman-bridge.conflist, which the bench does not use: podman runs with a
# private --network-config-dir), Debian's CNI plugins, busybox-static, gcc (bin/build-pause-image),
# python3 and the built jars. Arguments go to pods_bench.py, e.g. --reps 5.
set -e
here=$(cd "$(dirname "$0")" && pwd)
for c in runc conmon podman python3; do
  command -v "$c" >/dev/null || { echo "bench: $c is not installed" >&2; exit 1; }
done
[ -x /usr/lib/cni/bridge ] || { echo "bench: CNI plugins missing (apt-get install containernetworking-plugins)" >&2; exit 1; }
[ -x /bin/busybox ] || { echo "bench: /bin/busybox missing (apt-get install busybox-static)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench: run as root (mounts, cgroups, runc, CNI)" >&2; exit 1; }
"$here/../bin/berth" version >/dev/null
exec python3 "$here/pods_bench.py" "$@"
