#!/usr/bin/env bash
# One cross-validation fold of the fine-tuning recipe, to measure phase-fraction error on more
# images than the fixed validation split: fine-tunes from an SSL checkpoint (which never saw a
# labeled MetalDAM image) on the 32 labeled images minus VAL_LIST, quantizes (percentile
# calibration on training images), and evaluates int8 with flips TTA on VAL_LIST.
#   SSL=runs/default/ssl.safetensors VAL_LIST=splits/cv/metaldam-fold-b.txt RUN_DIR=runs/cv-b bench/cv-fold.sh
# Stage 1 of scripts/train-default-model's recipe only (no adaptation stage), so compare folds with
# each other and with the validation split's model at the same stage. Resumable. THREADS (1).
# TAIL_STEPS=N (> 0) then also runs a low-learning-rate tail from the fine-tuned net (lr 3e-4,
# encoder updates × 0.1, no in-domain SSL: the adaptation stage's control arm) and evaluates it too
# (files with -tail).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA:-../shared/data}/metaldam/labeled
: "${SSL:?SSL checkpoint}" "${VAL_LIST:?list of held-out images}" "${RUN_DIR:?run directory}"
bin=${AGENT_BIN:-.build/release/matssl-agent}
threads=${THREADS:-1}
steps=${FINETUNE_STEPS:-1500}
mkdir -p "$RUN_DIR"
if [[ ! -f $RUN_DIR/finetune.done ]]; then
  resume=(); [[ -f $RUN_DIR/seg.safetensors ]] && resume=(--resume)
  "$bin" finetune --images "$data/images" --masks "$data/masks" --init "$SSL" --val-list "$VAL_LIST" \
      --out "$RUN_DIR/seg.safetensors" --steps "$steps" --batch 8 --crop 256 --threads "$threads" "${resume[@]}"
  date -u +%FT%TZ > "$RUN_DIR/finetune.done"
fi
"$bin" quantize --model "$RUN_DIR/seg.safetensors" --calibration "$data/images" --exclude-list "$VAL_LIST" \
    --max-images 16 --method percentile --name cv --threads "$threads" --out "$RUN_DIR/seg.int8.safetensors" > "$RUN_DIR/quantize.txt"
"$bin" evaluate --model "$RUN_DIR/seg.int8.safetensors" --images "$data/images" --masks "$data/masks" \
    --list "$VAL_LIST" --tta flips --threads "$threads" --json > "$RUN_DIR/eval-int8-flips.json"
echo "cv-fold: $RUN_DIR/eval-int8-flips.json" >&2
tail_steps=${TAIL_STEPS:-0}
if (( tail_steps > 0 )); then
  if [[ ! -f $RUN_DIR/tail.done ]]; then
    resume=(); [[ -f $RUN_DIR/tail.safetensors ]] && resume=(--resume)
    "$bin" finetune --images "$data/images" --masks "$data/masks" --init "$RUN_DIR/seg.safetensors" \
        --encoder-lr-factor 0.1 --lr 3e-4 --warmup $(( tail_steps / 10 + 1 )) --val-list "$VAL_LIST" \
        --out "$RUN_DIR/tail.safetensors" --steps "$tail_steps" --batch 8 --crop 256 --threads "$threads" "${resume[@]}"
    date -u +%FT%TZ > "$RUN_DIR/tail.done"
  fi
  "$bin" quantize --model "$RUN_DIR/tail.safetensors" --calibration "$data/images" --exclude-list "$VAL_LIST" \
      --max-images 16 --method percentile --name cv --threads "$threads" --out "$RUN_DIR/tail.int8.safetensors" > "$RUN_DIR/quantize-tail.txt"
  "$bin" evaluate --model "$RUN_DIR/tail.int8.safetensors" --images "$data/images" --masks "$data/masks" \
      --list "$VAL_LIST" --tta flips --threads "$threads" --json > "$RUN_DIR/eval-int8-flips-tail.json"
  echo "cv-fold: $RUN_DIR/eval-int8-flips-tail.json" >&2
fi
