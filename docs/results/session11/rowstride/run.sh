#!/usr/bin/env bash
# Alternating A/B of `segment` (default flips TTA, 1 thread): base = release build of 101cb79 (window
# copies), rowstride = this session's build (kernels read windows in place). Images: mosaics of
# micrograph12/26/33 made as in bench/bench_images.py (1536×1094 and 2048×1536 8-bit, 4096² 16-bit
# = bench/segment-memory.sh's mosaic) and micrograph12 itself.
set -u
out_dir=${OUT_DIR:-/tmp/rowstride-ab}; mkdir -p "$out_dir"
imgs="/tmp/tiles/m1536.tif /tmp/tiles/m2048.tif /tmp/tiles/mosaic4096.tif /work/shared/data/metaldam/labeled/images/micrograph12.jpg"
for round in 1 2; do
 for img in $imgs; do
  for arm in base rowstride; do
   bin=/work/bin-$arm/matssl-agent
   out=$out_dir/out-$arm; rm -rf "$out"
   /usr/bin/time -v "$bin" segment --model /work/main/models/metaldam.int8.safetensors --threads "${THREADS:-1}" --out "$out" "$img" > "$out_dir/stdout" 2> "$out_dir/time.log"
   rss=$(sed -n 's/.*Maximum resident set size (kbytes): *//p' "$out_dir/time.log")
   wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): *//p' "$out_dir/time.log")
   user=$(sed -n 's/.*User time (seconds): *//p' "$out_dir/time.log")
   b=$(basename "$img"); sum=$(md5sum "$out/$b.mask.png" | cut -c1-12)
   echo "{\"round\":$round,\"threads\":${THREADS:-1},\"image\":\"$b\",\"arm\":\"$arm\",\"rssKB\":$rss,\"wall\":\"$wall\",\"userS\":$user,\"maskMD5\":\"$sum\",\"load\":\"$(cut -d' ' -f1 /proc/loadavg)\"}"
  done
 done
done
