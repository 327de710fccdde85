#!/usr/bin/env bash
# Unpack benchmark: Berth against containerd on the same image, the same kind of fresh work file
# system, in one run. The image (bench/lib/manyfiles.py: 4 gzip layers, ~250 MB, 20,000 small files
# plus whiteouts, an opaque directory, links, devices, xattrs) is imported untimed into each engine;
# then the timed step is the unpack into the overlayfs snapshotter plus the mount of the rootfs:
#   containerd:  ctr images mount --snapshotter overlayfs REF DIR
#   Berth:       berth images mount --snapshotter overlayfs REF DIR (in-process, no daemon)
#   berth-daemon ctr images mount --snapshotter overlayfs REF DIR against a Berth daemon's gRPC
#                socket: the same client as containerd's row, the unpack done by the daemon (which
#                has unpacked the image once before the timed step, as a node's warm daemon has)
# Wall is the client command's clock time, start-up included, as a user sees it; CPU is the
# client's plus the daemon's over the same interval. Every
# repetition gets a fresh work file system (mkfs'd loop ext4, or tmpfs) and a fresh engine root;
# engines alternate which goes first. After the first repetition the two mounted trees are compared
# entry by entry (bench/lib/tree_compare.py) and the run fails if they differ.
#
# Needs root, containerd + ctr (Debian containerd), python3, mkfs.ext4, java + maven (bin/berth
# builds the jar when missing). Knobs: BENCH_DIR (/tmp/berth-bench-unpack), BENCH_FS (ext4-loop |
# tmpfs), BENCH_REPS (3), BENCH_FS_SIZE (4G), BENCH_BUSY=N (N spinning loops during the timed
# part: a busy node), BENCH_SKIP_BERTH_DAEMON=1.
set -euo pipefail
BENCH_SRC="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$BENCH_SRC/.." && pwd)"
BENCH_DIR="${BENCH_DIR:-/tmp/berth-bench-unpack}"
BENCH_FS="${BENCH_FS:-ext4-loop}"
BENCH_REPS="${BENCH_REPS:-3}"
BENCH_FS_SIZE="${BENCH_FS_SIZE:-4G}"
WORK="$BENCH_DIR/work"
FIXTURE="$BENCH_DIR/manyfiles.tar"
REF_BASE="bench/manyfiles"
# busy_start/busy_stop/busy_label and timed_with_daemon (the rest of common.sh is overridden below)
source "$BENCH_SRC/lib/common.sh"
set -euo pipefail

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $EUID -eq 0 ]] || die "run as root (overlay mounts, chown, mknod)"
for t in containerd ctr python3 java mkfs.ext4 findmnt; do
  command -v "$t" >/dev/null || die "missing $t (Debian: apt-get install containerd python3 e2fsprogs default-jdk-headless)"
done
mkdir -p "$BENCH_DIR/results" "$BENCH_DIR/logs"

CTRD_PID=""
BERTHD_PID=""
cleanup() {
  set +e
  busy_stop
  [[ -n $CTRD_PID ]] && stop_containerd
  [[ -n $BERTHD_PID ]] && stop_berthd
  workfs_teardown
}
trap cleanup EXIT

workfs_setup() {
  mountpoint -q "$WORK" && die "$WORK is already mounted (a crashed run? umount it)"
  mkdir -p "$WORK"
  case $BENCH_FS in
    ext4-loop)
      rm -f "$BENCH_DIR/workfs.img"
      truncate -s "$BENCH_FS_SIZE" "$BENCH_DIR/workfs.img"
      mkfs.ext4 -q -F "$BENCH_DIR/workfs.img"
      mount -o loop "$BENCH_DIR/workfs.img" "$WORK" ;;
    tmpfs) mount -t tmpfs -o "size=$BENCH_FS_SIZE" berth-bench "$WORK" ;;
    *) die "BENCH_FS must be ext4-loop or tmpfs" ;;
  esac
}

workfs_teardown() {
  mountpoint -q "$WORK" || return 0
  local m
  for m in $(findmnt -rn -o TARGET | grep "^$WORK/" | sort -r); do umount "$m" 2>/dev/null || umount -l "$m"; done
  umount "$WORK" 2>/dev/null || umount -l "$WORK"
  rm -f "$BENCH_DIR/workfs.img"
}

start_containerd() {
  local d="$WORK/containerd"
  mkdir -p "$d/root" "$d/state"
  cat >"$d/config.toml" <<TOML
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/c.sock"
[ttrpc]
  address = "$d/c.sock.ttrpc"
[debug]
  level = "warn"
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
TOML
  containerd --config "$d/config.toml" >>"$BENCH_DIR/logs/containerd.log" 2>&1 &
  CTRD_PID=$!
  CTR=(ctr -a "$d/c.sock" -n bench)
  for _ in $(seq 1 200); do
    "${CTR[@]}" version >/dev/null 2>&1 && return 0
    kill -0 "$CTRD_PID" 2>/dev/null || die "containerd exited; see $BENCH_DIR/logs/containerd.log"
    sleep 0.05
  done
  die "containerd did not answer"
}

stop_containerd() {
  kill "$CTRD_PID" 2>/dev/null || true
  wait "$CTRD_PID" 2>/dev/null || true
  CTRD_PID=""
}

# run_containerd: sets US and CPU (microseconds: wall, client + daemon CPU); leaves the tree mounted at $WORK/mnt-containerd
run_containerd() {
  start_containerd
  "${CTR[@]}" images import --no-unpack --base-name "$REF_BASE" "$FIXTURE" >/dev/null
  mkdir -p "$WORK/mnt-containerd"
  sync
  read -r US CPU < <(timed_with_daemon "$CTRD_PID" "${CTR[@]}" images mount --snapshotter overlayfs \
    "$REF_BASE:1" "$WORK/mnt-containerd")
}

finish_containerd() {
  "${CTR[@]}" images unmount "$WORK/mnt-containerd" >/dev/null
  stop_containerd
}

# bin/berth as a user runs it (its JVM flags for CLI commands, its class-data-sharing archives), with
# its freshness check off: that would rebuild inside the timed window whenever the engine module
# changed but the controller jar did not need rewriting (the jar is built once below)
BERTH=(env BERTH_BUILD=0 "$REPO/bin/berth")
# run_berth: sets US and CPU (microseconds: wall, CPU of the berth process); leaves the tree mounted at $WORK/mnt-berth
run_berth() {
  local d="$WORK/berth"
  mkdir -p "$d"
  printf 'version = 3\nroot = "%s/root"\nstate = "%s/state"\n' "$d" "$d" >"$d/config.toml"
  local ref
  ref=$("${BERTH[@]}" --config "$d/config.toml" images import --name "$REF_BASE" "$FIXTURE" | awk '/^imported/{print $2; exit}')
  [[ -n $ref ]] || die "berth images import printed no image name"
  echo "$ref" >"$BENCH_DIR/berth-ref"
  mkdir -p "$WORK/mnt-berth"
  sync
  local wall cpu
  read -r wall cpu < <(python3 "$BENCH_SRC/lib/timed.py" "${BERTH[@]}" --config "$d/config.toml" images mount \
    --snapshotter overlayfs "$ref" "$WORK/mnt-berth")
  US=$wall
  CPU=$cpu
}

finish_berth() {
  "${BERTH[@]}" --config "$WORK/berth/config.toml" images unmount --snapshotter overlayfs "$WORK/mnt-berth" >/dev/null
}

# the Berth daemon of one repetition, on the work file system like containerd's root
start_berthd() {
  local d="$WORK/berthd"
  mkdir -p "$d/manifests"
  printf 'version = 3\nroot = "%s/root"\nstate = "%s/state"\n[plugins."dev.berth.v1"]\n  api_address = "%s/state/berth.sock"\n  manifest_dir = "%s/manifests"\n  log_dir = "%s/logs"\n' \
    "$d" "$d" "$d" "$d" "$d" >"$d/config.toml"
  "${BERTH[@]}" --config "$d/config.toml" daemon >>"$BENCH_DIR/logs/berthd.log" 2>&1 &
  BERTHD_PID=$!
  BCTR=(ctr -a "$d/state/containerd.sock" -n bench)
  for _ in $(seq 1 300); do
    "${BCTR[@]}" version >/dev/null 2>&1 && return 0
    kill -0 "$BERTHD_PID" 2>/dev/null || die "the berth daemon exited; see $BENCH_DIR/logs/berthd.log"
    sleep 0.1
  done
  die "the berth daemon did not answer"
}

stop_berthd() {
  kill "$BERTHD_PID" 2>/dev/null || true
  wait "$BERTHD_PID" 2>/dev/null || true
  BERTHD_PID=""
}

# unmounts the daemon's tree and removes every snapshot (children before parents: a few passes)
berthd_unpacked_none() {
  "${BCTR[@]}" images unmount --rm "$WORK/mnt-berth-daemon" >/dev/null
  local k left
  for _ in 1 2 3 4 5 6; do
    left=$("${BCTR[@]}" snapshots ls | awk 'NR > 1 {print $1}')
    [[ -n $left ]] || return 0
    for k in $left; do "${BCTR[@]}" snapshots rm "$k" >/dev/null 2>&1 || true; done
  done
  die "snapshots left in the berth daemon: $left"
}

# run_berthd: sets US and CPU (client + daemon); leaves the tree mounted at $WORK/mnt-berth-daemon
run_berthd() {
  start_berthd
  "${BCTR[@]}" images import --no-unpack --base-name "$REF_BASE" "$FIXTURE" >/dev/null
  mkdir -p "$WORK/mnt-berth-daemon"
  "${BCTR[@]}" images mount --snapshotter overlayfs "$REF_BASE:1" "$WORK/mnt-berth-daemon" >/dev/null
  berthd_unpacked_none
  sync
  read -r US CPU < <(timed_with_daemon "$BERTHD_PID" "${BCTR[@]}" images mount --snapshotter overlayfs \
    "$REF_BASE:1" "$WORK/mnt-berth-daemon")
}

finish_berthd() {
  "${BCTR[@]}" images unmount "$WORK/mnt-berth-daemon" >/dev/null
  stop_berthd
}

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

if [[ ! -f $FIXTURE ]]; then
  log "generating the fixture image (once): $FIXTURE"
  python3 "$BENCH_SRC/lib/manyfiles.py" "$FIXTURE"
fi
log "building/checking the berth jar"
"$REPO/bin/berth" version >/dev/null

# untimed warm-up: bin/berth records its class-data archive for a command the first time that command
# runs after a build (see bin/berth); without this, repetition 1 would time that recording
log "warm-up (untimed): berth images import/mount/unmount once"
workfs_setup
run_berth
finish_berth
workfs_teardown

results="$BENCH_DIR/results/unpack-$(date +%Y%m%d-%H%M%S).jsonl"
ENGINES=(containerd berth)
[[ ${BENCH_SKIP_BERTH_DAEMON:-0} == 1 ]] || ENGINES+=(berth-daemon)
declare -A WALLS CPUS
busy_start
for rep in $(seq 1 "$BENCH_REPS"); do
  # rotate which engine goes first
  order=("${ENGINES[@]:$(((rep - 1) % ${#ENGINES[@]}))}" "${ENGINES[@]:0:$(((rep - 1) % ${#ENGINES[@]}))}")
  for engine in "${order[@]}"; do
    workfs_setup
    case $engine in
      containerd) run_containerd ;;
      berth) run_berth ;;
      berth-daemon) run_berthd ;;
    esac
    WALLS[$engine]+="$US "
    CPUS[$engine]+="$CPU "
    us=$US
    log "rep $rep $engine: $(awk "BEGIN{printf \"%.3f\", $us/1e6}") s wall, $(awk "BEGIN{printf \"%.3f\", $CPU/1e6}") s CPU"
    printf '{"rep":%d,"engine":"%s","fs":"%s","busy":%d,"unpack_mount_us":%d,"cpu_us":%d}\n' "$rep" "$engine" "$BENCH_FS" \
      "${BENCH_BUSY:-0}" "$us" "$CPU" >>"$results"
    if ((rep == 1)); then
      # keep this tree for the comparison: copy its listing now, the fs goes away below
      python3 -c "
import sys; sys.path.insert(0, '$BENCH_SRC/lib')
import tree_compare
out = tree_compare.listing('$WORK/mnt-$engine')
open('$BENCH_DIR/listing-$engine.txt', 'w').write(''.join(f'{k} {v}\n' for k, v in sorted(out.items())))
"
    fi
    case $engine in
      containerd) finish_containerd ;;
      berth) finish_berth ;;
      berth-daemon) finish_berthd ;;
    esac
    workfs_teardown
  done
  if ((rep == 1)); then
    for engine in "${ENGINES[@]}"; do
      [[ $engine == containerd ]] && continue
      if diff -u "$BENCH_DIR/listing-containerd.txt" "$BENCH_DIR/listing-$engine.txt" >"$BENCH_DIR/listing.diff"; then
        log "trees identical ($engine): $(wc -l <"$BENCH_DIR/listing-$engine.txt") entries"
      else
        die "$engine's tree differs from containerd's: see $BENCH_DIR/listing.diff"
      fi
    done
  fi
done
busy_stop

med() { printf '%s\n' $1 | median; }
c=$(med "${WALLS[containerd]}")
cc=$(med "${CPUS[containerd]}")
printf '\nunpack+mount of %s (%s, %d reps, medians; %s; load average %s)\n' "$REF_BASE:1" "$BENCH_FS" "$BENCH_REPS" \
  "$(busy_label)" "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '                   wall        CPU   ratio to containerd (wall, CPU)\n'
for engine in "${ENGINES[@]}"; do
  w=$(med "${WALLS[$engine]}")
  u=$(med "${CPUS[$engine]}")
  printf '  %-13s %8.3f s %8.3f s   %.2f  %.2f\n' "$engine" "$(awk "BEGIN{print $w/1e6}")" "$(awk "BEGIN{print $u/1e6}")" \
    "$(awk "BEGIN{print $w/$c}")" "$(awk "BEGIN{print $u/$cc}")"
  printf '{"summary":true,"engine":"%s","fs":"%s","busy":%d,"median_us":%d,"cpu_us":%d,"ratio":%.3f,"cpu_ratio":%.3f}\n' \
    "$engine" "$BENCH_FS" "${BENCH_BUSY:-0}" "$w" "$u" "$(awk "BEGIN{print $w/$c}")" "$(awk "BEGIN{print $u/$cc}")" >>"$results"
done
log "results: $results"
