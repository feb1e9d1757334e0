#!/usr/bin/env bash
# Alternating A/B of segment (flips, 1 thread): old planner (bin-s10-dice) vs new planner (bin-s10-tiles) at 1.5 and 3 Mpx.
set -u
cd /work/runs/tiles-ab
for round in 1 2; do
 for img in /tmp/tiles/fei1536.tif /tmp/tiles/z2048.tif /tmp/tiles/mosaic4096.tif; do
  for arm in old new15 new30; do
   case $arm in old) bin=/work/bin-s10-dice; extra=();; new15) bin=/work/bin-s10-tiles; extra=();; new30) bin=/work/bin-s10-tiles; extra=(--tile-megapixels 3);; esac
   out=/tmp/tiles/out-$arm; rm -rf $out
   /usr/bin/time -v $bin segment --model /work/main/models/metaldam.int8.safetensors --threads 1 --out $out "${extra[@]}" $img > /tmp/tiles/stdout 2> /tmp/tiles/time.log
   rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' /tmp/tiles/time.log)
   wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' /tmp/tiles/time.log)
   user=$(sed -n 's/.*User time (seconds): *//p' /tmp/tiles/time.log)
   b=$(basename $img .tif); sum=$(md5sum $out/$b.tif.mask.png | cut -c1-12)
   echo "{\"round\":$round,\"image\":\"$b\",\"arm\":\"$arm\",\"rssKB\":$rss,\"wall\":\"$wall\",\"userS\":$user,\"maskMD5\":\"$sum\",\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\"}" >> results.jsonl
  done
 done
done
