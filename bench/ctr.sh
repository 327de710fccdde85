#!/usr/bin/env bash
# The same client against both daemons (issue 17): Debian's ctr 1.6 against a private containerd
# and against a private Berth daemon's gRPC socket, in one run on one machine.
#   warm-up    BENCH_WARMUP rounds of the alternation below right after both daemons started: a
#              JVM daemon compiles its hot paths over its first few hundred calls, containerd is
#              compiled ahead of time, so the steady state is measured after it; the warm-up's own
#              first BENCH_RUN_REPS rounds are reported too ("just started" rows), not hidden
#   run --rm   `ctr run --rm IMAGE ID /bin/busybox true`, BENCH_RUN_REPS times each, alternating:
#              median wall (target Berth <= 1.1 x containerd)
#   berth run  `berth run --rm IMAGE ID /bin/busybox true` through the daemon (issue 16), in the same
#              alternation: median wall (target <= 2 x `ctr run --rm` against containerd)
#   run -d x N N x `ctr run -d IMAGE ID /bin/busybox sleep 600` in a row on each daemon, the two
#              alternating: total wall of each daemon's runs (target <= 1.0 x)
#   RSS        after those N: Berth daemon's RSS (it monitors with conmon, one per container, whose
#              RSS is listed too) against containerd's plus its shims'
# The image is Berth's example busybox (bin/build-example-image), exported from Berth through ctr
# and imported into containerd. Everything is removed at the end (tasks, containers, both daemons,
# their directories and cgroups). Needs root, containerd, ctr, runc, conmon, busybox-static, python3.
# Knobs: BENCH_RUN_REPS (20), BENCH_WARMUP (60, at least BENCH_RUN_REPS), BENCH_CONTAINERS (50),
# BENCH_DIR (/tmp/berth-bench-ctr).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
BENCH_DIR=${BENCH_DIR:-/tmp/berth-bench-ctr}
REPS=${BENCH_RUN_REPS:-20}
WARMUP=${BENCH_WARMUP:-60}
((WARMUP >= REPS)) || WARMUP=$REPS
N=${BENCH_CONTAINERS:-50}
IMG=localhost/berth/busybox:latest
log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $EUID -eq 0 ]] || die "run as root"
for t in containerd ctr runc conmon python3; do command -v "$t" >/dev/null || die "missing $t"; done
rm -rf "$BENCH_DIR"; mkdir -p "$BENCH_DIR"
W=$BENCH_DIR
CG=/berth-bench-ctr-$$
CTRD_PID="" BERTHD_PID=""
C=(ctr --address "$W/containerd/c.sock" --namespace bench)
B=(ctr --address "$W/berth/state/containerd.sock" --namespace bench)

remove_all() { # remove_all CTR...: kill, delete and remove every task and container
  local ids id
  ids=$("$@" tasks ls -q 2>/dev/null || true)
  for id in $ids; do "$@" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  for id in $ids; do
    for _ in $(seq 50); do "$@" tasks delete "$id" >/dev/null 2>&1 && break; sleep 0.1; done
  done
  for id in $("$@" containers ls -q 2>/dev/null || true); do "$@" containers rm "$id" >/dev/null 2>&1 || true; done
}
cleanup() {
  set +e
  [[ -n $CTRD_PID ]] && remove_all "${C[@]}"
  [[ -n $BERTHD_PID ]] && remove_all "${B[@]}"
  for p in $BERTHD_PID $CTRD_PID; do kill "$p" 2>/dev/null; done
  for p in $BERTHD_PID $CTRD_PID; do for _ in $(seq 100); do [[ -d /proc/$p ]] || break; sleep 0.1; done; done
  for m in $(findmnt -rn -o TARGET | grep "^$W/" | sort -r); do umount -l "$m"; done
  # a killed task's processes may still be leaving their cgroups: retry for up to 10 s
  for _ in $(seq 100); do
    local left=0
    for d in $(find /sys/fs/cgroup -depth -type d -path "*$CG*" 2>/dev/null); do rmdir "$d" 2>/dev/null || left=1; done
    ((left)) || break
    sleep 0.1
  done
  for d in $(find /sys/fs/cgroup -depth -type d -path "*/bench/*" -newer "$W" 2>/dev/null); do rmdir "$d" 2>/dev/null; done
  rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/containerd" "$W/berth/manifests"
cat >"$W/containerd/config.toml" <<EOF
version = 2
root = "$W/containerd/root"
state = "$W/containerd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$W/containerd/c.sock"
[ttrpc]
  address = "$W/containerd/c.sock.ttrpc"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$W/containerd/opt"
EOF
cat >"$W/berth/config.toml" <<EOF
version = 3
root = "$W/berth/root"
state = "$W/berth/state"
[plugins."dev.berth.v1"]
api_address = "$W/berth/state/berth.sock"
manifest_dir = "$W/berth/manifests"
log_dir = "$W/berth/logs"
cgroup_parent = "$CG"
EOF
"$repo/bin/berth" version >/dev/null # builds when needed
export BERTH_BUILD=0
containerd --config "$W/containerd/config.toml" >"$W/containerd.log" 2>&1 &
CTRD_PID=$!
"$repo/bin/berth" -c "$W/berth/config.toml" daemon >"$W/berthd.log" 2>&1 &
BERTHD_PID=$!
for _ in $(seq 300); do "${C[@]}" version >/dev/null 2>&1 && "${B[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${B[@]}" version >/dev/null || die "berth daemon did not answer; see $W/berthd.log"
"$repo/bin/build-example-image" --config "$W/berth/config.toml" >/dev/null
# the image into the bench namespace of both: exported from Berth (default namespace) by ctr
ctr --address "$W/berth/state/containerd.sock" images export "$W/bb.tar" "$IMG"
"${B[@]}" images import "$W/bb.tar" >/dev/null
"${C[@]}" images import "$W/bb.tar" >/dev/null
log "image $IMG in both daemons; containerd pid $CTRD_PID, berth pid $BERTHD_PID"

timed() { python3 "$here/lib/timed.py" "$@" | cut -d' ' -f1; } # wall in microseconds
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

run_rm() { # run_rm ENGINE ID
  case $1 in
    berth) timed "${B[@]}" run --rm "$IMG" "$2" /bin/busybox true ;;
    berthcli) timed "$repo/bin/berth" -c "$W/berth/config.toml" run -n bench --rm "$IMG" "$2" /bin/busybox true ;;
    *) timed "${C[@]}" run --rm "$IMG" "$2" /bin/busybox true ;;
  esac
}
declare -a RB RC RL
rounds() { # rounds N PREFIX: N rounds of the alternation, times appended to RB, RC, RL
  local i
  for i in $(seq "$1"); do
    if ((i % 2)); then RB+=("$(run_rm berth "$2b$i")"); RC+=("$(run_rm containerd "$2c$i")"); RL+=("$(run_rm berthcli "$2l$i")")
    else RL+=("$(run_rm berthcli "$2l$i")"); RC+=("$(run_rm containerd "$2c$i")"); RB+=("$(run_rm berth "$2b$i")"); fi
  done
}
medians() { # medians: of RB, RC, RL into mb, mc, ml
  mb=$(printf '%s\n' "${RB[@]}" | median); mc=$(printf '%s\n' "${RC[@]}" | median); ml=$(printf '%s\n' "${RL[@]}" | median)
}
log "warm-up: $WARMUP rounds"
rounds "$REPS" cold; medians; cb=$mb; cc=$mc; cl=$ml
RB=() RC=() RL=()
rounds $((WARMUP - REPS)) warm
RB=() RC=() RL=()
log "measuring: $REPS rounds"
rounds "$REPS" r; medians

# N run -d on each daemon, alternating between them (the one that goes first alternates too), so
# both see the same machine: as many containers running, the same load; totals in microseconds
db=0 dc=0
detach() { # detach CTR...: one run -d; prints its wall in microseconds
  local t0 t1
  t0=$(date +%s%N)
  "$@" run -d "$IMG" "d$i" /bin/busybox sleep 600 >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000))
}
for i in $(seq "$N"); do
  if ((i % 2)); then
    db=$((db + $(detach "${B[@]}"))); dc=$((dc + $(detach "${C[@]}")))
  else
    dc=$((dc + $(detach "${C[@]}"))); db=$((db + $(detach "${B[@]}")))
  fi
done
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
berth_rss=$(rss "$BERTHD_PID")
conmon_rss=$(for p in $(pgrep -x conmon); do if grep -q "$W/berth" "/proc/$p/cmdline" 2>/dev/null; then rss "$p"; fi; done | awk '{s+=$1} END {print s+0}')
ctrd_rss=$(rss "$CTRD_PID")
shim_rss=$(for p in $(pgrep -f containerd-shim-runc-v2); do if grep -q "$W/containerd" "/proc/$p/cmdline" 2>/dev/null; then rss "$p"; fi; done | awk '{s+=$1} END {print s+0}')

printf '\nctr 1.6 against both daemons, %s, %d cores, load %s\n' "$(date -u +%Y-%m-%d)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '| measure | containerd | Berth | ratio |\n|---|---|---|---|\n'
awk -v b="$mb" -v c="$mc" -v n="$REPS" -v w="$WARMUP" 'BEGIN { printf "| `ctr run --rm IMAGE ID true`, median of %d after %d rounds of warm-up | %.3f s | %.3f s | %.2f |\n", n, w, c/1e6, b/1e6, b/c }'
awk -v b="$ml" -v c="$mc" -v n="$REPS" 'BEGIN { printf "| `berth run --rm IMAGE ID true` through the daemon (Berth column) vs `ctr run --rm` against containerd, median of %d | %.3f s | %.3f s | %.2f |\n", n, c/1e6, b/1e6, b/c }'
awk -v b="$cb" -v c="$cc" -v n="$REPS" 'BEGIN { printf "| just started: `ctr run --rm`, median of the first %d rounds | %.3f s | %.3f s | %.2f |\n", n, c/1e6, b/1e6, b/c }'
awk -v b="$cl" -v c="$cc" -v n="$REPS" 'BEGIN { printf "| just started: `berth run --rm` vs `ctr run --rm` against containerd, first %d rounds | %.3f s | %.3f s | %.2f |\n", n, c/1e6, b/1e6, b/c }'
awk -v b="$db" -v c="$dc" -v n="$N" 'BEGIN { printf "| %d x `ctr run -d` in a row, alternating between the daemons | %.2f s | %.2f s | %.2f |\n", n, c/1e6, b/1e6, b/c }'
printf '| RSS after %d running | containerd %d MiB + shims %d MiB | daemon %d MiB + conmons %d MiB | %.2f |\n' "$N" \
  $((ctrd_rss / 1024)) $((shim_rss / 1024)) $((berth_rss / 1024)) $((conmon_rss / 1024)) \
  "$(awk -v a=$((berth_rss + conmon_rss)) -v b=$((ctrd_rss + shim_rss)) 'BEGIN{print a/b}')"
