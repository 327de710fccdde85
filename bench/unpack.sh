#!/usr/bin/env bash
# Unpack benchmark: Berth against containerd on the same image, the same kind of fresh work file
# system, in one run. The image (bench/lib/manyfiles.py: 4 gzip layers, ~250 MB, 20,000 small files
# plus whiteouts, an opaque directory, links, devices, xattrs) is imported untimed into each engine;
# then the timed step is the unpack into the overlayfs snapshotter plus the mount of the rootfs:
#   containerd:  ctr images mount --snapshotter overlayfs REF DIR
#   Berth:       berth images mount --snapshotter overlayfs REF DIR
# Both are wall-clock times of the client command, start-up included, as a user sees them. Every
# repetition gets a fresh work file system (mkfs'd loop ext4, or tmpfs) and a fresh engine root;
# engines alternate which goes first. After the first repetition the two mounted trees are compared
# entry by entry (bench/lib/tree_compare.py) and the run fails if they differ.
#
# Needs root, containerd + ctr (Debian containerd), python3, mkfs.ext4, java + maven (bin/berth
# builds the jar when missing). Knobs: BENCH_DIR (/tmp/berth-bench-unpack), BENCH_FS (ext4-loop |
# tmpfs), BENCH_REPS (3), BENCH_FS_SIZE (4G).
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

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[[ $EUID -eq 0 ]] || die "run as root (overlay mounts, chown, mknod)"
for t in containerd ctr python3 java mkfs.ext4 findmnt; do
  command -v "$t" >/dev/null || die "missing $t (Debian: apt-get install containerd python3 e2fsprogs default-jdk-headless)"
done
mkdir -p "$BENCH_DIR/results" "$BENCH_DIR/logs"

CTRD_PID=""
cleanup() {
  set +e
  [[ -n $CTRD_PID ]] && stop_containerd
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

# user+system CPU of the containerd daemon and its reaped children (e.g. unpigz) so far, in microseconds
daemon_cpu_us() {
  awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15 + $16 + $17) * 1000000 / hz)}' "/proc/$CTRD_PID/stat"
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
  local before after wall cpu
  before=$(daemon_cpu_us)
  read -r wall cpu < <(python3 "$BENCH_SRC/lib/timed.py" "${CTR[@]}" images mount --snapshotter overlayfs \
    "$REF_BASE:1" "$WORK/mnt-containerd")
  after=$(daemon_cpu_us)
  US=$wall
  CPU=$((cpu + after - before))
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
ctrd_us=() berth_us=() ctrd_cpu=() berth_cpu=()
for rep in $(seq 1 "$BENCH_REPS"); do
  order=(containerd berth)
  ((rep % 2 == 0)) && order=(berth containerd)
  for engine in "${order[@]}"; do
    workfs_setup
    if [[ $engine == containerd ]]; then
      run_containerd
      ctrd_us+=("$US")
      ctrd_cpu+=("$CPU")
    else
      run_berth
      berth_us+=("$US")
      berth_cpu+=("$CPU")
    fi
    us=$US
    log "rep $rep $engine: $(awk "BEGIN{printf \"%.3f\", $us/1e6}") s wall, $(awk "BEGIN{printf \"%.3f\", $CPU/1e6}") s CPU"
    printf '{"rep":%d,"engine":"%s","fs":"%s","unpack_mount_us":%d,"cpu_us":%d}\n' "$rep" "$engine" "$BENCH_FS" "$us" "$CPU" >>"$results"
    if ((rep == 1)); then
      # keep this tree for the comparison: copy its listing now, the fs goes away below
      python3 -c "
import sys; sys.path.insert(0, '$BENCH_SRC/lib')
import tree_compare
out = tree_compare.listing('$WORK/mnt-$engine')
open('$BENCH_DIR/listing-$engine.txt', 'w').write(''.join(f'{k} {v}\n' for k, v in sorted(out.items())))
"
    fi
    if [[ $engine == containerd ]]; then finish_containerd; else finish_berth; fi
    workfs_teardown
  done
  if ((rep == 1)); then
    if diff -u "$BENCH_DIR/listing-containerd.txt" "$BENCH_DIR/listing-berth.txt" >"$BENCH_DIR/listing.diff"; then
      log "trees identical: $(wc -l <"$BENCH_DIR/listing-berth.txt") entries"
    else
      die "Berth's tree differs from containerd's: see $BENCH_DIR/listing.diff"
    fi
  fi
done

c=$(printf '%s\n' "${ctrd_us[@]}" | median)
b=$(printf '%s\n' "${berth_us[@]}" | median)
cc=$(printf '%s\n' "${ctrd_cpu[@]}" | median)
bc=$(printf '%s\n' "${berth_cpu[@]}" | median)
printf '\nunpack+mount of %s (%s, %d reps, medians; load average %s)\n' "$REF_BASE:1" "$BENCH_FS" "$BENCH_REPS" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '                 wall        CPU\n'
printf '  containerd %8.3f s %8.3f s\n' "$(awk "BEGIN{print $c/1e6}")" "$(awk "BEGIN{print $cc/1e6}")"
printf '  berth      %8.3f s %8.3f s\n' "$(awk "BEGIN{print $b/1e6}")" "$(awk "BEGIN{print $bc/1e6}")"
printf '  ratio berth/containerd: wall %.2f, CPU %.2f\n' "$(awk "BEGIN{print $b/$c}")" "$(awk "BEGIN{print $bc/$cc}")"
printf '{"summary":true,"fs":"%s","containerd_median_us":%d,"berth_median_us":%d,"ratio":%.3f,"containerd_cpu_us":%d,"berth_cpu_us":%d,"cpu_ratio":%.3f}\n' \
  "$BENCH_FS" "$c" "$b" "$(awk "BEGIN{print $b/$c}")" "$cc" "$bc" "$(awk "BEGIN{print $bc/$cc}")" >>"$results"
log "results: $results"
