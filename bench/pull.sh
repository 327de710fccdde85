#!/usr/bin/env bash
# Cold pull, Berth versus containerd, in one run on the same machine.
#
# Serves bench/manyfiles:1 (~250 MB, 20,000 files, 4 layers; built by fixtures.sh if the registry
# lacks it) from a local docker-registry on 127.0.0.1, then per repetition, each engine starting
# from an empty store (the in-process one on a fresh directory, the daemons emptied through ctr and
# collected) on one loop-mounted ext4 (BENCH_FS, see lib/common.sh):
#   berth         bin/berth pull, no daemon  (in-process engine: fetch + verify + record)
#   berth-daemon  bin/berth pull             forwarded to a running Berth daemon (a node's daemon is
#                                            warm: no class loading or JIT warm-up per pull)
#   ctr-fetch     ctr content fetch          (containerd's fetch of the same blobs, no unpack)
#   ctr-pull      ctr images pull            (containerd's fetch + unpack)
#   berth-ctr     ctr images pull            against the Berth daemon's gRPC socket: the same client
#                                            on both daemons (fetch + unpack)
# Wall is clock time around each client process (JVM start-up included); CPU is the client's
# user+system time plus the daemon's (containerd's, or Berth's daemon) over the same interval. The
# first round is a warm-up and is not counted. Prints min/median/max wall, median CPU, and the
# ratios of medians berth-daemon / ctr-fetch and berth-ctr / ctr-pull for wall and CPU (targets
# <= 1.0), and berth / ctr-fetch.
#
# Knobs: BENCH_REPS (5), BENCH_PULL_IMAGE (bench/manyfiles:1), BENCH_DIR, BENCH_REGISTRY_PORT,
# BENCH_FS (ext4-loop), BENCH_BUSY=N (N spinning loops during the timed part: a busy node; 2 keeps
# both cores of the build machine busy), BENCH_SKIP_CTR_PULL=1, BENCH_SKIP_BERTH_CTR=1,
# BENCH_SKIP_BERTH_DAEMON=1. Runs as root. Results also go to $BENCH_DIR/results/pull-<time>.txt.
source "$(dirname "$0")/lib/common.sh"
need containerd ctr java curl jq

REPS=${BENCH_REPS:-5}
IMAGE=${BENCH_PULL_IMAGE:-bench/manyfiles:1}
REF="$BENCH_REGISTRY/$IMAGE"
REPO_ROOT="$(cd "$BENCH_SRC/.." && pwd)"
CTRD_PID=""

cleanup() {
  set +e
  busy_stop
  berthd_stop
  if [[ -n $CTRD_PID ]]; then
    kill "$CTRD_PID" 2>/dev/null
    for _ in $(seq 1 50); do [[ -d /proc/$CTRD_PID ]] || break; sleep 0.1; done
    [[ -d /proc/$CTRD_PID ]] && kill -9 "$CTRD_PID"
    CTRD_PID=""
  fi
  for m in $(findmnt -rn -o TARGET | grep "^$BENCH_WORK/" | sort -r); do umount -l "$m"; done
  bench_cleanup
}
trap cleanup EXIT

registry_start
if ! registry_has "${IMAGE%%:*}" "${IMAGE##*:}"; then
  log "$IMAGE missing in the registry: building it"
  BENCH_KEEP_REGISTRY=1 BENCH_IMAGES="$IMAGE" "$BENCH_SRC/fixtures.sh"
fi

log "building berth (mvn package -DskipTests)"
(cd "$REPO_ROOT" && mvn -q -B -Dstyle.color=never -DskipTests package >&2)

workfs_setup
CTRD="$BENCH_WORK/containerd"
CTR=(ctr --address "$CTRD/containerd.sock" --namespace bench)
mkdir -p "$CTRD/root" "$CTRD/state"
cat >"$CTRD/config.toml" <<CFG
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CTRD/containerd.sock"
[ttrpc]
  address = "$CTRD/containerd.sock.ttrpc"
[debug]
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$CTRD/opt"
CFG
containerd --config "$CTRD/config.toml" >>"$BENCH_DIR/logs/containerd-pull.log" 2>&1 &
CTRD_PID=$!
for _ in $(seq 1 300); do "${CTR[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${CTR[@]}" version >/dev/null || die "containerd did not start; see $BENCH_DIR/logs/containerd-pull.log"
log "containerd $(containerd --version | awk '{print $3}') started (pid $CTRD_PID)"

# an empty Berth config: defaults, no hosts.toml directories, nothing from /etc
BERTH_CFG="$BENCH_WORK/berth.toml"
printf 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = ""\n' >"$BERTH_CFG"

now_ns() { date +%s%N; }

ctrd_cold() {
  local imgs blobs n s
  imgs=$("${CTR[@]}" images ls -q)
  if [[ -n $imgs ]]; then "${CTR[@]}" images rm --sync $imgs >/dev/null; fi
  blobs=$("${CTR[@]}" content ls -q)
  if [[ -n $blobs ]]; then "${CTR[@]}" content rm $blobs >/dev/null; fi
  for _ in $(seq 1 50); do
    n=$({ find "$CTRD/root/io.containerd.content.v1.content/blobs" -type f 2>/dev/null || true; } | wc -l)
    s=$({ find "$CTRD/root/io.containerd.snapshotter.v1.overlayfs/snapshots" -mindepth 1 -maxdepth 1 2>/dev/null || true; } | wc -l)
    [[ $n == 0 && $s == 0 ]] && { sync; return 0; }
    "${CTR[@]}" leases create --id bench-gc >/dev/null 2>&1
    "${CTR[@]}" leases rm --sync bench-gc >/dev/null 2>&1
    sleep 0.1
  done
  die "containerd store not empty after cleanup"
}

berth_cold() { rm -rf "$BENCH_WORK/berth"; sync; }

# berth-ctr: one Berth daemon for the whole run (a node's daemon is warm), emptied before every
# repetition the way containerd is: images and blobs removed through ctr, then a collection
BD="$BENCH_WORK/berthd"
BERTHD_PID=""
BCTR=(ctr --address "$BD/state/containerd.sock" --namespace bench)
berthd_stop() {
  if [[ -n $BERTHD_PID ]]; then
    kill "$BERTHD_PID" 2>/dev/null
    for _ in $(seq 1 100); do [[ -d /proc/$BERTHD_PID ]] || break; sleep 0.1; done
    [[ -d /proc/$BERTHD_PID ]] && kill -9 "$BERTHD_PID"
    BERTHD_PID=""
  fi
  for m in $(findmnt -rn -o TARGET | grep "^$BD/" | sort -r); do umount -l "$m"; done
}
berthd_start() {
  rm -rf "$BD"; mkdir -p "$BD/manifests"
  printf 'version = 3\nroot = "%s/root"\nstate = "%s/state"\n[plugins."dev.berth.v1"]\n  api_address = "%s/state/berth.sock"\n  manifest_dir = "%s/manifests"\n  log_dir = "%s/logs"\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = ""\n' \
    "$BD" "$BD" "$BD" "$BD" "$BD" >"$BD/config.toml"
  BERTH_BUILD=0 "$REPO_ROOT/bin/berth" --config "$BD/config.toml" daemon >>"$BENCH_DIR/logs/berthd-pull.log" 2>&1 &
  BERTHD_PID=$!
  for _ in $(seq 1 300); do "${BCTR[@]}" version >/dev/null 2>&1 && return 0; sleep 0.1; done
  die "berth daemon did not start; see $BENCH_DIR/logs/berthd-pull.log"
}
berthd_cold() {
  local imgs blobs snaps n s
  [[ -n $BERTHD_PID ]] || berthd_start
  imgs=$("${BCTR[@]}" images ls -q)
  if [[ -n $imgs ]]; then "${BCTR[@]}" images rm $imgs >/dev/null; fi
  snaps=$("${BCTR[@]}" snapshots ls | awk 'NR > 1 {print $1}' | tac)
  for k in $snaps; do "${BCTR[@]}" snapshots rm "$k" >/dev/null 2>&1 || true; done
  blobs=$("${BCTR[@]}" content ls -q)
  if [[ -n $blobs ]]; then "${BCTR[@]}" content rm $blobs >/dev/null; fi
  BERTH_BUILD=0 "$REPO_ROOT/bin/berth" --config "$BD/config.toml" gc >/dev/null
  n=$({ find "$BD/root/content/blobs" -type f 2>/dev/null || true; } | wc -l)
  s=$({ find "$BD/root/snapshots/overlayfs" -mindepth 1 -maxdepth 1 -name "[0-9]*" 2>/dev/null || true; } | wc -l)
  [[ $n == 0 && $s == 0 ]] || die "berth store not empty after cleanup ($n blobs, $s snapshots)"
  sync
}

declare -A T C
run() { # run NAME DAEMON_PID CMD...: prints "WALL_S CPU_S" (client CPU plus the daemon's meanwhile)
  local wc
  wc=$(timed_with_daemon "$2" "${@:3}" 2>>"$BENCH_DIR/logs/pull-$1.log") || die "$1 failed; see $BENCH_DIR/logs/pull-$1.log"
  awk -v w="${wc% *}" -v c="${wc#* }" 'BEGIN { printf "%.3f %.3f", w / 1e6, c / 1e6 }'
}

ENGINES=(berth)
[[ ${BENCH_SKIP_BERTH_DAEMON:-0} == 1 ]] || ENGINES+=(berth-daemon)
ENGINES+=(ctr-fetch)
[[ ${BENCH_SKIP_CTR_PULL:-0} == 1 ]] || ENGINES+=(ctr-pull)
[[ ${BENCH_SKIP_BERTH_CTR:-0} == 1 ]] || ENGINES+=(berth-ctr)
busy_start
for rep in $(seq 0 "$REPS"); do
  for e in "${ENGINES[@]}"; do
    case $e in
      berth) berth_cold
             r=$(run berth "" env BERTH_BUILD=0 "$REPO_ROOT/bin/berth" --config "$BERTH_CFG" pull --root "$BENCH_WORK/berth" -q "$REF") ;;
      berth-daemon) berthd_cold
             r=$(run berth-daemon "$BERTHD_PID" env BERTH_BUILD=0 BERTH_THIN=require "$REPO_ROOT/bin/berth" \
                 --config "$BD/config.toml" pull -q "$REF") ;;
      ctr-fetch) ctrd_cold; r=$(run ctr-fetch "$CTRD_PID" "${CTR[@]}" content fetch --plain-http "$REF") ;;
      ctr-pull) ctrd_cold; r=$(run ctr-pull "$CTRD_PID" "${CTR[@]}" images pull --plain-http "$REF") ;;
      berth-ctr) berthd_cold; r=$(run berth-ctr "$BERTHD_PID" "${BCTR[@]}" images pull --plain-http "$REF") ;;
    esac
    if [[ $rep == 0 ]]; then
      log "warm-up $e: ${r% *} s wall, ${r#* } s CPU"
    else
      T[$e]+="${r% *} "
      C[$e]+="${r#* } "
      log "rep $rep $e: ${r% *} s wall, ${r#* } s CPU"
    fi
  done
done
busy_stop

stats() { tr ' ' '\n' <<<"$1" | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {
  m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f %.3f %.3f", a[1], m, a[NR] }'; }
median_of() { read -r _ m _ <<<"$(stats "$1")"; echo "$m"; }
ratio() { # ratio LABEL A B: wall and CPU ratios of the medians of engines A and B
  [[ -n ${T[$2]:-} && -n ${T[$3]:-} ]] || return 0
  awk -v l="$1" -v a="$(median_of "${T[$2]}")" -v b="$(median_of "${T[$3]}")" \
      -v ca="$(median_of "${C[$2]}")" -v cb="$(median_of "${C[$3]}")" \
      'BEGIN { printf "ratio %-28s wall %.2f  CPU %.2f\n", l, a / b, ca / cb }'
}
out="$BENCH_DIR/results/pull-$(date +%Y%m%d-%H%M%S).txt"
{
  echo "cold pull of $REF, $REPS repetitions after a warm-up, work fs $BENCH_FS, $(busy_label), load $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-13s %8s %8s %8s %10s\n' engine min median max "CPU(med)"
  for e in "${ENGINES[@]}"; do
    read -r mn md mx <<<"$(stats "${T[$e]}")"
    printf '%-13s %8s %8s %8s %10s\n' "$e" "$mn" "$md" "$mx" "$(median_of "${C[$e]}")"
  done
  ratio "berth-daemon/ctr-fetch" berth-daemon ctr-fetch
  ratio "berth-ctr/ctr-pull (unpack)" berth-ctr ctr-pull
  ratio "berth (no daemon)/ctr-fetch" berth ctr-fetch
} | tee "$out"
