#!/bin/bash
# CLI start-up benchmark (issue 16): daemon-backed berth commands against a private daemon, 20 runs
# each after a warm-up, median wall and median CPU (user+sys), beside `kubectl version --client`
# (client start-up only; kubectl has no local server here) and `ctr` against a private containerd.
# Prints a markdown table and the load average before and after (wall time moves with load, CPU
# much less). Needs root, busybox-static, containerd + ctr (else that row says so), the built jars.
# usage: bench/cli.sh [RUNS]     env: BERTH_CLI_KEEP=1 keeps the work directory
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-20}
work=$(mktemp -d /tmp/berth-cli-bench.XXXXXX)
daemon_pid="" containerd_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$containerd_pid" ] && kill "$containerd_pid" 2>/dev/null && wait "$containerd_pid" 2>/dev/null || true
  if [ "${BERTH_CLI_KEEP:-0}" != 1 ]; then
    grep -o " $work[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$work"
  fi
  find /sys/fs/cgroup -depth -type d -path "*/berth-cli-bench-$$*" -exec rmdir {} + 2>/dev/null || true
}
trap cleanup EXIT
cfg=$work/config.toml
cat >"$cfg" <<EOF
version = 3
root = "$work/root"
state = "$work/state"
[plugins."dev.berth.v1"]
api_address = "$work/state/berth.sock"
manifest_dir = "$work/manifests"
log_dir = "$work/logs"
cgroup_parent = "/berth-cli-bench-$$"
EOF
mkdir -p "$work/manifests"
"$here/bin/berth" version >/dev/null # builds when needed
export BERTH_BUILD=0
printf '#!/bin/sh\nexec "%s/bin/berth" -c "%s" "$@"\n' "$here" "$cfg" >"$work/berth" # /usr/bin/time runs files, not functions
chmod +x "$work/berth"
berth() { "$work/berth" "$@"; }
"$here/bin/build-example-image" --config "$cfg" >/dev/null
"$here/bin/berth" -c "$cfg" daemon >"$work/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 120); do [ -S "$work/state/berth.sock" ] && berth get sources >/dev/null 2>&1 && break; sleep 0.5; done
cp "$here/examples/local/busybox-image.yaml" "$here/examples/local/hello-world.yaml" "$work/"
berth apply -f "$work/busybox-image.yaml" >/dev/null
berth apply -f "$work/hello-world.yaml" >/dev/null
for _ in $(seq 120); do berth logs hello-world 2>/dev/null | grep -q Hello && break; sleep 0.5; done
cat >"$work/del.yaml" <<EOF
apiVersion: berth.dev/v1alpha1
kind: Image
metadata:
  name: bench-del
spec:
  ref: localhost/berth/busybox:latest
  pullPolicy: Never
EOF

# measure NAME [--before CMD] -- CMD...: median wall and CPU of $runs runs after one warm-up
declare -A wall cpu
measure() {
  local name=$1; shift
  local before=""
  if [ "$1" = --before ]; then before=$2; shift 2; fi
  [ "$1" = -- ] && shift
  local t=$work/times
  : >"$t"
  [ -n "$before" ] && eval "$before" >/dev/null 2>&1
  "$@" >/dev/null 2>&1 || true
  for _ in $(seq "$runs"); do
    [ -n "$before" ] && eval "$before" >/dev/null 2>&1
    /usr/bin/time -f "%e %U %S" -a -o "$t" "$@" >/dev/null 2>&1 || true
  done
  grep -E '^[0-9.]+ [0-9.]+ [0-9.]+$' "$t" >"$t.ok" || true # drops "Command exited with non-zero status"
  mv "$t.ok" "$t"
  wall[$name]=$(awk '{print $1}' "$t" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
  cpu[$name]=$(awk '{printf "%.2f\n", $2+$3}' "$t" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
export BERTH_THIN=require # a command that falls back to the in-process path fails instead of being timed
measure "version" -- "$work/berth" version
measure "get containers" -- "$work/berth" get containers
measure "describe container" -- "$work/berth" describe container hello-world
measure "logs" -- "$work/berth" logs hello-world
measure "events" -- "$work/berth" events
measure "apply -f (1 object, unchanged)" -- "$work/berth" apply -f "$work/hello-world.yaml"
measure "diff -f (1 object)" -- "$work/berth" diff -f "$work/hello-world.yaml"
measure "delete (1 object)" --before "berth apply -f $work/del.yaml" -- "$work/berth" delete image bench-del
unset BERTH_THIN
printf '[plugins."dev.berth.v1"]\napi_address = "%s/none.sock"\n' "$work" >"$work/nodaemon.toml"
measure "version, no daemon (in-process path)" -- "$here/bin/berth" -c "$work/nodaemon.toml" version
if command -v kubectl >/dev/null; then
  measure "kubectl version --client" -- kubectl version --client
fi
if command -v containerd >/dev/null && command -v ctr >/dev/null; then
  mkdir -p "$work/containerd"
  cat >"$work/containerd/config.toml" <<EOF
version = 2
root = "$work/containerd/root"
state = "$work/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$work/containerd/containerd.sock"
[ttrpc]
  address = "$work/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$work/containerd/opt"
EOF
  containerd --config "$work/containerd/config.toml" >"$work/containerd/log" 2>&1 &
  containerd_pid=$!
  ctr_() { ctr --address "$work/containerd/containerd.sock" "$@"; }
  for _ in $(seq 60); do ctr_ version >/dev/null 2>&1 && break; sleep 0.25; done
  measure "ctr version" -- ctr --address "$work/containerd/containerd.sock" version
  measure "ctr containers ls" -- ctr --address "$work/containerd/containerd.sock" containers ls
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

ref_wall=${wall["kubectl version --client"]:-}
ref_ctr=${wall["ctr version"]:-}
echo "bench/cli.sh, $runs runs each after a warm-up, $(date -u +%Y-%m-%d), $(nproc) cores, $(java -version 2>&1 | head -1)"
echo "load average before: $load_before, after: $load_after"
echo
echo "| command | wall (median) | CPU (median) | wall / kubectl --client | wall / ctr version |"
echo "|---|---|---|---|---|"
for name in "version" "get containers" "describe container" "logs" "events" "apply -f (1 object, unchanged)" \
    "diff -f (1 object)" "delete (1 object)" "version, no daemon (in-process path)" "kubectl version --client" \
    "ctr version" "ctr containers ls"; do
  [ -n "${wall[$name]:-}" ] || { echo "| $name | not measured (tool missing) | | | |"; continue; }
  r1="" r2=""
  [ -n "$ref_wall" ] && r1=$(awk -v a="${wall[$name]}" -v b="$ref_wall" 'BEGIN{printf "%.2f", a/b}')
  [ -n "$ref_ctr" ] && r2=$(awk -v a="${wall[$name]}" -v b="$ref_ctr" 'BEGIN{printf "%.2f", a/b}')
  echo "| \`$name\` | ${wall[$name]} s | ${cpu[$name]} s | $r1 | $r2 |"
done
