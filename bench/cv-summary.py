#!/usr/bin/env python3
"""Summary of cross-validation folds run by bench/cv-fold.sh.

usage: bench/cv-summary.py RUN_DIR... [--suffix=-tail] [--per-image]

For each fold's eval-int8-flips{suffix}.json: the 4-class (paper) mIoU and the phase-fraction mean
absolute error per class over its held-out images; then the mean mIoU over folds and the MAE over
all held-out images pooled (what docs/statistics.md quotes), in percentage points.
--per-image also lists every held-out image's predicted and true matrix / austenite / MA fractions
and the signed errors (predicted - true).
"""
import argparse, json

CLASSES = ["matrix", "austenite", "martensite/austenite", "precipitate", "defect"]

def load(path):
    # evaluate --json writes one JSON document; take the last line in case logs precede it.
    return json.loads(open(path).read().strip().splitlines()[-1])

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--suffix", default="")
    ap.add_argument("--per-image", action="store_true")
    a = ap.parse_args()
    pooled = {c: [] for c in CLASSES}
    mious = []
    for d in a.runs:
        f = load(f"{d}/eval-int8-flips{a.suffix}.json")
        mious.append(f["mIoUPaper"] * 100)
        fold = {c: [abs(im["predicted"][c] - im["truth"][c]) * 100 for im in f["phaseFractionsPerImage"]] for c in CLASSES}
        if a.per_image:
            for im in f["phaseFractionsPerImage"]:
                print(f"  {im['image']}: " + ", ".join(
                    f"{c} {im['predicted'][c] * 100:.1f}/{im['truth'][c] * 100:.1f} ({(im['predicted'][c] - im['truth'][c]) * 100:+.1f})"
                    for c in CLASSES[:3]))
        for c in CLASSES:
            pooled[c] += fold[c]
        maes = {c: sum(v) / len(v) for c, v in fold.items()}
        print(f"{d}: mIoU {mious[-1]:.2f}; phase MAE " + ", ".join(f"{c} {m:.2f}" for c, m in maes.items())
              + f"; class mean {sum(maes.values()) / len(CLASSES):.2f}")
    maes = {c: sum(v) / len(v) for c, v in pooled.items()}
    n = len(pooled[CLASSES[0]])
    print(f"all {len(a.runs)} folds: mean mIoU {sum(mious) / len(mious):.2f}; phase MAE over {n} images "
          + ", ".join(f"{c} {m:.2f}" for c, m in maes.items()) + f"; class mean {sum(maes.values()) / len(CLASSES):.2f}")

if __name__ == "__main__":
    main()
