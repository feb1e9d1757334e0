#!/usr/bin/env bash
# Alternating A/B of segment (flips, 1 thread): planner only (bin-s10-tiles) vs planner + per-tensor regions (bin-s10-regions).
set -u
cd /work/runs/regions-ab
imgs="/tmp/tiles/fei1536.tif /tmp/tiles/z2048.tif /tmp/tiles/mosaic4096.tif /work/shared/data/metaldam/labeled/images/micrograph12.jpg"
for round in 1 2; do
 for img in $imgs; do
  for arm in tiles regions; do
   bin=/work/bin-s10-$arm
   out=/tmp/tiles/rout-$arm; rm -rf $out
   /usr/bin/time -v $bin segment --model /work/main/models/metaldam.int8.safetensors --threads 1 --out $out $img > /tmp/tiles/rstdout 2> /tmp/tiles/rtime.log
   rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' /tmp/tiles/rtime.log)
   wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' /tmp/tiles/rtime.log)
   user=$(sed -n 's/.*User time (seconds): *//p' /tmp/tiles/rtime.log)
   b=$(basename $img); sum=$(md5sum $out/$b.mask.png | cut -c1-12)
   echo "{\"round\":$round,\"image\":\"$b\",\"arm\":\"$arm\",\"rssKB\":$rss,\"wall\":\"$wall\",\"userS\":$user,\"maskMD5\":\"$sum\",\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\"}" >> results.jsonl
  done
 done
done
