#!/usr/bin/env bash
# An overnight refresh on real MetalDAM data, end to end, as a site would run it:
#   1. the shipped model is installed into a fresh state directory's model store;
#   2. the real daemon (`matssl-agent run`, inotify) segments N MetalDAM *unlabeled* micrographs
#      dropped into its watched folder, so its journal holds them as processed images (the pool);
#   3. `matssl-agent refresh` continues SSL on that pool, re-fine-tunes on metaldam/labeled minus the
#      validation split (splits/metaldam-val.txt), quantizes the candidate, evaluates both models in
#      int8 on the validation split and promotes only if the gate passes.
# Prints the refresh report (JSON) and `models list`. Needs ../shared/data/metaldam and a release build.
# Usage: bench/refresh-metaldam.sh [--agent BIN] [--int8 M] [--fp32 C] [--pool N] [--max-minutes M]
#                                  [--ssl-steps S] [--finetune-steps F] [--threads T] [--work DIR] [--report FILE]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
agent="$root/.build/release/matssl-agent"
int8="$root/models/metaldam.int8.safetensors"
fp32="$root/models/metaldam.fp32.safetensors"
pool=60; minutes=40; ssl_steps=150; ft_steps=400; threads=2; work=""; report=""
data="$root/../shared/data/metaldam"
while [ $# -gt 0 ]; do
  case "$1" in
    --agent) agent="$2"; shift 2 ;;
    --int8) int8="$2"; shift 2 ;;
    --fp32) fp32="$2"; shift 2 ;;
    --pool) pool="$2"; shift 2 ;;
    --max-minutes) minutes="$2"; shift 2 ;;
    --ssl-steps) ssl_steps="$2"; shift 2 ;;
    --finetune-steps) ft_steps="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    --work) work="$2"; shift 2 ;;
    --report) report="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
[ -d "$data/unlabeled" ] || { echo "refresh-metaldam: $data not found" >&2; exit 1; }
[ -x "$agent" ] || { echo "no agent binary at $agent (swift build -c release)" >&2; exit 1; }
[ -n "$work" ] || work="$(mktemp -d /tmp/matssl-refresh.XXXXXX)"
mkdir -p "$work/inbox" "$work/state"
# The refresh signals the daemon only if the recorded pid runs an executable named matssl-agent:
# run a copy under that name so a renamed --agent binary still exercises the SIGHUP step.
mkdir -p "$work/bin"
if [ "$(basename "$agent")" != matssl-agent ]; then cp "$agent" "$work/bin/matssl-agent"; agent="$work/bin/matssl-agent"; fi
log() { echo "<6>refresh-metaldam: $*" >&2; }

cat > "$work/agent.toml" <<EOF
[watch]
roots = ["$work/inbox"]
settle_time = 0.5

[output]
overlay = false

[statistics]
html_report = false

[segmentation]
engine = "model"
model = "metaldam"
threads = $threads

[state]
dir = "$work/state"

[refresh]
labeled_images = "$data/labeled/images"
labeled_masks = "$data/labeled/masks"
heldout_list = "$root/splits/metaldam-val.txt"
pool_size = $pool
max_minutes = $minutes
ssl_steps = $ssl_steps
finetune_steps = $ft_steps
threads = $threads
signal_daemon = true
EOF

log "work directory $work"
"$agent" models install --config "$work/agent.toml" --int8 "$int8" --fp32 "$fp32" --no-signal

# The pool: the daemon processes the first $pool unlabeled micrographs (names sorted).
"$agent" run --config "$work/agent.toml" 2> "$work/daemon.log" &
daemon=$!
trap 'kill "$daemon" 2>/dev/null || true' EXIT
sleep 2
ls "$data/unlabeled" | sort | head -n "$pool" | while read -r f; do cp "$data/unlabeled/$f" "$work/inbox/"; done
deadline=$(( $(date +%s) + 60 * 20 ))
while :; do
  done_count=$(ls "$work/inbox/matssl" 2>/dev/null | grep -c '\.stats\.json$' || true)
  [ "$done_count" -ge "$pool" ] && break
  [ "$(date +%s)" -lt "$deadline" ] || { echo "the daemon processed only $done_count of $pool images" >&2; exit 1; }
  kill -0 "$daemon" 2>/dev/null || { cat "$work/daemon.log" >&2; echo "the daemon died" >&2; exit 1; }
  sleep 2
done
log "the daemon processed $done_count images"

start=$(date +%s)
"$agent" refresh --config "$work/agent.toml" --no-idle --report "$work/report.json"
log "refresh took $(( $(date +%s) - start )) s"
kill "$daemon"; wait "$daemon" || true
trap - EXIT
grep -c "reload" "$work/daemon.log" | sed 's/^/daemon reload log lines: /' >&2 || true
"$agent" models list --config "$work/agent.toml"
[ -n "$report" ] && cp "$work/report.json" "$report"
cat "$work/report.json"
