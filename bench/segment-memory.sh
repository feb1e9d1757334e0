#!/usr/bin/env bash
# Peak RSS and end-to-end time of `matssl-agent segment` (decode + int8 segmentation + mask, overlay
# and stats written), int8 model, 1 and 2 threads:
#   - a generated 4096×4096 16-bit TIFF (mosaic of MetalDAM micrographs), bar: peak RSS ≤ 150 MB;
#     (also with --no-overlay, to separate the overlay's share);
#   - 1024×703 MetalDAM micrographs (ms per image as printed by `segment`).
# Usage: bench/segment-memory.sh [--agent PATH] [--model PATH] [--threads "1 2"] [--repeat N] [--out FILE.md]
# Needs GNU time (/usr/bin/time; Debian package `time`) and bench/.venv (made by bench/onnx-compare.py)
# or python3 with numpy, pillow and tifffile to generate the TIFF.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
agent="$root/.build/release/matssl-agent"
model="$root/models/metaldam.int8.safetensors"
threads="1 2"
repeat=2
out=""
images_dir="$root/../shared/data/metaldam/labeled/images"
micrographs="micrograph12.jpg micrograph26.jpg micrograph33.jpg"
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent="$2"; shift 2 ;;
    --model) model="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --repeat) repeat="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "GNU time missing: apt-get install time" >&2; exit 1; }
[ -x "$agent" ] || { echo "no agent binary at $agent (swift build -c release)" >&2; exit 1; }
[ -f "$model" ] || { echo "no model at $model" >&2; exit 1; }
py="$here/.venv/bin/python"; [ -x "$py" ] || py=python3

work="$(mktemp -d /tmp/matssl-mem.XXXXXX)"
trap 'rm -rf "$work"' EXIT
tiff="$work/mosaic4096.tif"
files=(); for m in $micrographs; do files+=("$images_dir/$m"); done
(cd "$here" && "$py" -c 'import sys; from bench_images import make_big_tiff; make_big_tiff(sys.argv[1], sys.argv[2:], 4096)' \
    "$tiff" "${files[@]}")

report="$work/report.md"
{
  echo "Run $(date -u '+%Y-%m-%d %H:%M UTC') on $(lscpu | sed -n 's/^Model name: *//p') ($(nproc) vCPUs), model \`$(basename "$model")\`."
  echo "Load average before: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| input | threads | peak RSS MB | segment ms/image (printed, end to end) | process wall s |"
  echo "|---|---:|---:|---:|---:|"
} > "$report"

run_one() { # label threads [segment options and] files...
  local label="$1" t="$2"; shift 2
  local log="$work/time.log" outdir="$work/out"
  rm -rf "$outdir"
  /usr/bin/time -v "$agent" segment --model "$model" --threads "$t" --out "$outdir" "$@" \
      > "$work/stdout" 2> "$log" || { cat "$log" >&2; echo "segment failed" >&2; exit 1; }
  local rss wall ms
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$log")
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$log")
  ms=$(sed -n 's/.*(\([0-9]*\) ms)$/\1/p' "$work/stdout" | tr '\n' ' ')
  printf '| %s | %s | %.1f | %s| %s |\n' "$label" "$t" "$(echo "$rss / 1024" | bc -l)" "$ms" "$wall" >> "$report"
}

for r in $(seq "$repeat"); do
  for t in $threads; do
    run_one "4096×4096 16-bit TIFF" "$t" "$tiff"
    run_one "4096×4096 16-bit TIFF, --no-overlay" "$t" --no-overlay "$tiff"
    run_one "${#files[@]} × 1024×703 JPEG" "$t" "${files[@]}"
  done
done
echo >> "$report"
echo "Load average after: $(cut -d' ' -f1-3 /proc/loadavg)." >> "$report"
cat "$report"
[ -n "$out" ] && cp "$report" "$out"
exit 0
