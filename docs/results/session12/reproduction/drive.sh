#!/usr/bin/env bash
# Session 12: finish the SSL run (resume after the 80-min cap), then the recipe's fine-tuning stage
# on the fixed validation split (bench/cv-fold.sh, stage 1 only) as a from-scratch reproduction check.
set -u
cd /work/main
run=/work/cache/ssl-s12
data=../shared/data
while pgrep -f "matssl-agent-73a9e98 pretrain" >/dev/null; do sleep 20; done
echo "$(date -u +%FT%TZ) first pretrain process ended" >> $run/drive.log
bin=$run/matssl-agent-62276cd
if ! grep -q "ended (finished)" $run/pretrain.log; then
  "$bin" pretrain --images "$data/metaldam/unlabeled" "$data/uhcs/unlabeled" "$data/uhcs/labeled/images" \
      --out "$run/ssl.safetensors" --epochs 100 --batch 32 --crop 224 --threads 2 --max-minutes 60 --resume >> $run/pretrain.log 2>&1
fi
echo "$(date -u +%FT%TZ) pretrain: $(grep -o 'ended ([a-z-]*)[^;]*' $run/pretrain.log | tail -1)" >> $run/drive.log
grep -q "ended (finished)" $run/pretrain.log || exit 1
SSL=$run/ssl.safetensors VAL_LIST=splits/metaldam-val.txt RUN_DIR=$run/stage1-val THREADS=2 AGENT_BIN=$bin \
    bash bench/cv-fold.sh >> $run/stage1.log 2>&1
echo "$(date -u +%FT%TZ) stage1 rc=$?" >> $run/drive.log
