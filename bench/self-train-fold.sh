#!/usr/bin/env bash
# Self-training (pseudo-label) arm of one cross-validation fold: a TEACHER int8 model labels the
# unlabeled MetalDAM micrographs, then bench/cv-fold.sh fine-tunes a student on the fold's labeled
# training images (each listed LABELED_REPEAT times, to keep labeled and pseudo-labelled crops
# near 1:1) plus the pseudo-labelled ones, and quantizes and evaluates it as usual.
#   TEACHER=runs/cv-b/seg-la1.int8.safetensors SSL=... VAL_LIST=splits/cv/metaldam-fold-b.txt \
#   RUN_DIR=runs/st-b bench/self-train-fold.sh
# The data folder it builds ($RUN_DIR/data) holds only symbolic links and the pseudo-label masks.
# Other variables as bench/cv-fold.sh (LOGIT_ADJUST, SEED, THREADS, AGENT_BIN, ...). Resumable.
# Session 7: with the seed-1 fold models as teachers, rejected (docs/training.md, "Self-training").
set -euo pipefail
cd "$(dirname "$0")/.."
src=${DATA:-../shared/data}/metaldam
: "${TEACHER:?int8 teacher model}" "${VAL_LIST:?list of held-out images}" "${RUN_DIR:?run directory}"
bin=${AGENT_BIN:-.build/release/matssl-agent}
repeat=${LABELED_REPEAT:-6}
mkdir -p "$RUN_DIR"
RUN_DIR=$(cd "$RUN_DIR" && pwd)
data=$RUN_DIR/data/metaldam/labeled
abs() { (cd "$(dirname "$1")" && echo "$PWD/$(basename "$1")"); }

if [[ ! -f $RUN_DIR/pseudo.done ]]; then
  rm -rf "$RUN_DIR/data" "$RUN_DIR/pseudo"
  mkdir -p "$data/images" "$data/masks" "$RUN_DIR/pseudo"
  held=$(grep -v '^#' "$VAL_LIST" | tr -d '\r' | awk 'NF')
  for img in "$src"/labeled/images/*; do
    base=$(basename "$img"); stem=${base%.*}
    ln -s "$(abs "$img")" "$data/images/$base"
    ln -s "$(abs "$src/labeled/masks/$stem.png")" "$data/masks/$stem.png"
    grep -qx "$stem" <<<"$held" && continue
    for ((r = 1; r < repeat; r++)); do
      ln -s "$(abs "$img")" "$data/images/r${r}_$base"
      ln -s "$(abs "$src/labeled/masks/$stem.png")" "$data/masks/r${r}_$stem.png"
    done
  done
  "$bin" segment "$src"/unlabeled/* --model "$TEACHER" --tta flips --no-overlay --out "$RUN_DIR/pseudo" \
      --threads "${THREADS:-1}" > "$RUN_DIR/pseudo.log"
  for img in "$src"/unlabeled/*; do
    base=$(basename "$img"); stem=${base%.*}
    ln -s "$(abs "$img")" "$data/images/u_$base"
    cp "$RUN_DIR/pseudo/$base.mask.png" "$data/masks/u_$stem.png"
  done
  date -u +%FT%TZ > "$RUN_DIR/pseudo.done"
fi
DATA=$RUN_DIR/data RUN_DIR=$RUN_DIR bench/cv-fold.sh
