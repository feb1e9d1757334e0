#!/usr/bin/env python3
"""Table of an A/B run of bench/ab-segment.sh: the median over rounds of each binary's per-round
median ms, per image and thread count, and new/old ratios (the first binary named is "old").

usage: bench/ab-summary.py ab.jsonl [ab2.jsonl ...]
"""
import json, statistics, sys

rows = [json.loads(l) for p in sys.argv[1:] for l in open(p) if l.strip()]
if not rows:
    sys.exit("ab-summary: no rows (usage: bench/ab-summary.py ab.jsonl ...)")
bins = list(dict.fromkeys(r["bin"] for r in rows))
keys = list(dict.fromkeys((x[0], x[1]) for r in rows for x in r["r"]))
med = {(b, k): statistics.median(x[2] for r in rows if r["bin"] == b for x in r["r"] if (x[0], x[1]) == k)
       for b in bins for k in keys}
print("| image | threads | " + " | ".join(bins) + " | " + " | ".join(f"{b} / {bins[0]}" for b in bins[1:]) + " |")
print("|---|---:|" + "---:|" * (2 * len(bins) - 1))
for k in keys:
    print(f"| {k[0]} | {k[1]} | " + " | ".join(f"{med[(b, k)]:.1f}" for b in bins) + " | "
          + " | ".join(f"{med[(b, k)] / med[(bins[0], k)]:.3f}" for b in bins[1:]) + " |")
print(f"\n{len(rows) // len(bins)} rounds per binary; median ms of the per-round medians")
