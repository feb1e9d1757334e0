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
# BATCH (8) and CROP (256) set the fine-tuning batch and crop side (same pixels per step: 2 × 512);
# SEED (1) the fine-tuning seed (crop positions, augmentations, image order, decoder init).
# CLASS_WEIGHTING (inverse-sqrt) the cross-entropy class weights (inverse-sqrt or uniform);
# LOGIT_ADJUST (0) the quantizer's --logit-adjustment τ (class-weight correction, see docs/training.md),
# CLASS_WEIGHTS its weights for checkpoints that do not record them; TAG (empty) is added to the
# int8 and evaluation file names, so a finished run can be re-quantized another way beside the first.
# DECODER_WIDTHS (empty: the default 128,64,32,16,8) sets the decoder widths at strides 16…1.
# INTENSITY_JITTER (mild) the crops' brightness/contrast jitter (mild or strong); STANDARDIZE=1
# fine-tunes with per-image intensity standardisation (finetune --standardize-intensity).
# DICE_WEIGHT (1) the weight of the loss's Dice term (0: class-weighted cross-entropy alone).
set -euo pipefail
cd "$(dirname "$0")/.."
data=${DATA:-../shared/data}/metaldam/labeled
: "${SSL:?SSL checkpoint}" "${VAL_LIST:?list of held-out images}" "${RUN_DIR:?run directory}"
bin=${AGENT_BIN:-.build/release/matssl-agent}
threads=${THREADS:-1}
steps=${FINETUNE_STEPS:-1500}
batch=${BATCH:-8}
crop=${CROP:-256}
seed=${SEED:-1}
weighting=${CLASS_WEIGHTING:-inverse-sqrt}
jitter=${INTENSITY_JITTER:-mild}
dice=${DICE_WEIGHT:-1}
logit_adjust=${LOGIT_ADJUST:-0}
tag=${TAG:-}
weights_arg=(); [[ -n ${CLASS_WEIGHTS:-} ]] && weights_arg=(--class-weights "$CLASS_WEIGHTS")
std_arg=(); [[ ${STANDARDIZE:-0} == 1 ]] && std_arg=(--standardize-intensity)
decoder_arg=(); [[ -n ${DECODER_WIDTHS:-} ]] && decoder_arg=(--decoder-widths "$DECODER_WIDTHS")
mkdir -p "$RUN_DIR"

# finetune_stage NAME ARGS...: fine-tunes into $RUN_DIR/NAME.safetensors (resuming a partial run),
# once; NAME.done marks it finished.
finetune_stage() {
  local name=$1; shift
  [[ -f $RUN_DIR/$name.done ]] && return
  local resume=(); [[ -f $RUN_DIR/$name.safetensors ]] && resume=(--resume)
  "$bin" finetune --images "$data/images" --masks "$data/masks" --val-list "$VAL_LIST" \
      --out "$RUN_DIR/$name.safetensors" --batch "$batch" --crop "$crop" --seed "$seed" --class-weighting "$weighting" --intensity-jitter "$jitter" --dice-weight "$dice" --threads "$threads" "$@" "${resume[@]}"
  date -u +%FT%TZ > "$RUN_DIR/$name.done"
}

# quantize_evaluate NAME SUFFIX: percentile int8 of NAME.safetensors, evaluated with flips TTA on
# the held-out images into eval-int8-flips$SUFFIX.json.
quantize_evaluate() {
  local name=$1 suffix=$2$tag
  "$bin" quantize --model "$RUN_DIR/$name.safetensors" --calibration "$data/images" --exclude-list "$VAL_LIST" \
      --max-images 16 --method percentile --logit-adjustment "$logit_adjust" "${weights_arg[@]}" --name cv --threads "$threads" --out "$RUN_DIR/$name$tag.int8.safetensors" \
      > "$RUN_DIR/quantize$suffix.txt"
  "$bin" evaluate --model "$RUN_DIR/$name$tag.int8.safetensors" --images "$data/images" --masks "$data/masks" \
      --list "$VAL_LIST" --tta flips --threads "$threads" --json > "$RUN_DIR/eval-int8-flips$suffix.json"
  echo "cv-fold: $RUN_DIR/eval-int8-flips$suffix.json" >&2
}

finetune_stage seg --init "$SSL" --steps "$steps" "${decoder_arg[@]}" "${std_arg[@]}"
quantize_evaluate seg ""
tail_steps=${TAIL_STEPS:-0}
if (( tail_steps > 0 )); then
  finetune_stage tail --init "$RUN_DIR/seg.safetensors" --encoder-lr-factor 0.1 --lr 3e-4 \
      --warmup $(( tail_steps / 10 + 1 )) --steps "$tail_steps"
  quantize_evaluate tail -tail
fi
