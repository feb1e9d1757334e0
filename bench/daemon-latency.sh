#!/usr/bin/env bash
# Daemon benchmark (release build): close → outputs latency (p50/p90) for real micrographs dropped one
# at a time into a watched folder, idle RSS after start-up, and peak RSS (VmHWM) at the end.
#   [MODEL=path-or-name] [BIG=1] [OBJECTS=false] bench/daemon-latency.sh [N=20] [SETTLE=0.2] [ENGINE] [OVERLAY=true]
# ENGINE defaults to "model" when MODEL is given (an int8 model file, or a name ModelLocator finds),
# else "otsu". BIG=1 then also drops one 4096×4096 16-bit TIFF (made from a MetalDAM micrograph with
# ImageMagick `convert`, in the temp dir) and reports its latency and the agent's peak RSS after it.
# Needs ../shared/data (MetalDAM); never copies images into the repository (they go to a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-20}
SETTLE=${2:-0.2}
MODEL=${MODEL:-}
if [[ -n $MODEL ]]; then ENGINE=${3:-model}; else ENGINE=${3:-otsu}; fi
OVERLAY=${4:-true}
OBJECTS=${OBJECTS:-false}
DATA=../shared/data/metaldam
[[ -d $DATA ]] || { echo "daemon-latency: $DATA not found" >&2; exit 1; }

swift build -c release --product matssl-agent >&2
BIN="$(swift build -c release --show-bin-path)/matssl-agent"
WORK=$(mktemp -d /tmp/matssl-bench.XXXXXX)
trap 'kill $AGENT 2>/dev/null || true; wait $AGENT 2>/dev/null || true; [[ -n "${KEEP:-}" ]] || rm -rf "$WORK"' EXIT
mkdir -p "$WORK/watch" "$WORK/state"
cat > "$WORK/agent.toml" <<TOML
[watch]
roots = ["$WORK/watch"]
settle_time = $SETTLE
[output]
overlay = $OVERLAY
[segmentation]
engine = "$ENGINE"
model = "$MODEL"
[statistics]
objects_csv = $OBJECTS
[state]
dir = "$WORK/state"
TOML
"$BIN" run --config "$WORK/agent.toml" 2>"$WORK/agent.log" &
AGENT=$!
sleep 2
IDLE_RSS=$(awk '/VmRSS/ {print $2}' /proc/$AGENT/status)

python3 - "$WORK/watch" "$DATA" "$N" <<'PY'
import glob, os, shutil, statistics, sys, time
watch, data, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
files = sorted(glob.glob(os.path.join(data, "**", "*.jpg"), recursive=True) + glob.glob(os.path.join(data, "**", "*.tif"), recursive=True))[:n]
lat = []
for i, src in enumerate(files):
    name = f"img{i:03d}{os.path.splitext(src)[1]}"
    dst = os.path.join(watch, name)
    with open(src, "rb") as f: data_bytes = f.read()
    with open(dst, "wb") as f: f.write(data_bytes)
    closed = time.monotonic()                       # close(2) of the writer
    stats = os.path.join(watch, "matssl", name + ".stats.json")
    while not os.path.exists(stats):
        time.sleep(0.002)
        if time.monotonic() - closed > 120: sys.exit(f"timeout waiting for {stats}")
    lat.append((time.monotonic() - closed) * 1000)
lat.sort()
p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"images: {len(lat)} (one at a time)")
print(f"close→outputs latency ms: p50 {statistics.median(lat):.0f}, p90 {p(0.9):.0f}, min {lat[0]:.0f}, max {lat[-1]:.0f}")
PY
PEAK_RSS=$(awk '/VmHWM/ {print $2}' /proc/$AGENT/status)
echo "settle_time: $SETTLE s, engine: $ENGINE$([[ -n $MODEL ]] && echo " ($MODEL)"), overlay: $OVERLAY, objects CSV: $OBJECTS"
echo "$(grep -m1 -o 'engine .*; journal' "$WORK/agent.log" | sed 's/; journal//')"
echo "idle RSS: $((IDLE_RSS / 1024)) MiB, peak RSS: $((PEAK_RSS / 1024)) MiB"
echo "median ms hash/decode/segment/write: $(sqlite3 "$WORK/state/journal.sqlite" "select printf('%.0f/%.0f/%.0f/%.0f', (select hash_ms from files order by 1 limit 1 offset (select count(*)/2 from files)), (select decode_ms from files order by 1 limit 1 offset (select count(*)/2 from files)), (select segment_ms from files order by 1 limit 1 offset (select count(*)/2 from files)), (select write_ms from files order by 1 limit 1 offset (select count(*)/2 from files)))")"
if [[ -n ${BIG:-} ]]; then
  convert "$DATA/labeled/images/micrograph10.jpg" -colorspace Gray -resize '4096x4096!' -depth 16 -compress none "$WORK/big16.tif"
  START=$(date +%s.%N)
  cp "$WORK/big16.tif" "$WORK/watch/big16.tif"
  until [[ -f $WORK/watch/matssl/big16.tif.stats.json ]]; do sleep 0.05; kill -0 $AGENT || { echo "agent died" >&2; exit 1; }; done
  END=$(date +%s.%N)
  echo "4096×4096 16-bit TIFF: close→outputs $(echo "$END - $START" | bc) s, peak RSS now $(($(awk '/VmHWM/ {print $2}' /proc/$AGENT/status) / 1024)) MiB"
  echo "  ms hash/decode/segment/write: $(sqlite3 "$WORK/state/journal.sqlite" "select printf('%.0f/%.0f/%.0f/%.0f', hash_ms, decode_ms, segment_ms, write_ms) from files where path like '%big16.tif'")"
fi
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | xargs), model $(grep -m1 '^model\s' /proc/cpuinfo | cut -d: -f2 | xargs)), $(nproc) CPUs"
kill -TERM $AGENT; wait $AGENT || true
