#!/usr/bin/env bash
# A/B timing of two (or more) builds of the agent on the same images in one run: the binaries
# alternate each round, so slow phases of a noisy machine hit all of them alike.
#   bench/ab-segment.sh OLD_BINARY NEW_BINARY > ab.jsonl      (ROUNDS=6, DATA=../shared/data)
# AB_ARGS adds bench-segment options to every run, e.g. AB_ARGS="--tta flips"; THREADS (default 1,2)
# and IMAGES (default "micrograph12 micrograph22", MetalDAM labeled names) narrow the run.
# One JSON line per binary and round: [image, threads, median ms, best ms] per bench-segment result.
set -euo pipefail
cd "$(dirname "$0")/.."
(( $# >= 2 )) || { echo "usage: bench/ab-segment.sh BINARY BINARY..." >&2; exit 2; }
data=${DATA:-../shared/data}/metaldam/labeled/images
[[ -d $data ]] || { echo "ab-segment: $data not found" >&2; exit 2; }
images=()
for name in ${IMAGES:-micrograph12 micrograph22}; do images+=("$data/$name.jpg"); done
for round in $(seq 1 "${ROUNDS:-6}"); do
  for b in "$@"; do
    "$b" bench-segment "${images[@]}" --model models/metaldam.int8.safetensors \
        --threads "${THREADS:-1,2}" --runs 5 ${AB_ARGS:-} 2>/dev/null |
      B="$b" R="$round" python3 -c 'import json, os, sys
d = json.load(sys.stdin)
print(json.dumps({"bin": os.environ["B"], "round": int(os.environ["R"]),
                  "r": [(x["image"], x["threads"], x["medianMs"], x["bestMs"]) for x in d["results"]]}))'
  done
done
