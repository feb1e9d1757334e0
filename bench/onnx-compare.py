#!/usr/bin/env python3
"""Times matssl-agent's int8 segmentation against onnxruntime (fp32, int8 QDQ) and OpenVINO (int8)
running the very same network with the same weights, and reports how far their masks agree.

  bench/onnx-compare.py --fp32 models/metaldam.fp32.safetensors --int8 models/metaldam.int8.safetensors

Creates bench/.venv (onnx, onnxruntime, openvino, numpy, pillow, tifffile from PyPI) on first use
and re-executes itself there. See bench/README.md for what is measured and how.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
VENV = os.path.join(HERE, ".venv")
VPY = os.path.join(VENV, "bin", "python")


def _ensure_venv():
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(VPY):
        print(f"creating {VENV} ...", file=sys.stderr)
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([VPY, "-m", "pip", "install", "-q", "--upgrade", "pip"])
        subprocess.check_call([VPY, "-m", "pip", "install", "-q", "-r", os.path.join(HERE, "requirements.txt")])
    os.execv(VPY, [VPY, os.path.abspath(__file__)] + sys.argv[1:])


_ensure_venv()

import argparse  # noqa: E402
import datetime  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
import openvino as ov  # noqa: E402
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat,  # noqa: E402
                                      QuantType, quantize_static)

sys.path.insert(0, HERE)
from bench_images import load_gray, make_big_tiff  # noqa: E402
from matssl_onnx import build_onnx, logit_offsets, read_safetensors  # noqa: E402

DATA = os.path.normpath(os.path.join(ROOT, "..", "shared", "data", "metaldam", "labeled", "images"))
ENGINES = ["ours-int8", "ort-fp32", "ort-int8", "ov-int8"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def cpu_model():
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


class _Calib(CalibrationDataReader):
    def __init__(self, paths):
        self.items = iter([{"image": load_gray(p)[0]} for p in paths])

    def get_next(self):
        return next(self.items, None)


def calibration_images(int8_path, image_dir):
    _, meta = read_safetensors(int8_path)
    names = json.loads(meta["info"])["provenance"]["calibrationImages"]
    paths = [os.path.join(image_dir, n) for n in names]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise SystemExit(f"calibration images of {int8_path} not found: {missing}")
    return paths


class OrtEngine:
    def __init__(self, path, threads):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])

    def __call__(self, x):
        return self.sess.run(["labels"], {"image": x})[0][0]

    def prepare(self, x):
        pass


class OvEngine:
    """OpenVINO CPU plugin on the QDQ model (runs it as int8), compiled per input shape."""
    core = ov.Core()

    def __init__(self, path, threads):
        self.path, self.threads, self.compiled = path, threads, {}

    def prepare(self, x):
        """Compiles for x's shape (outside the clock)."""
        shape = tuple(x.shape)
        if shape not in self.compiled:
            model = self.core.read_model(self.path)
            model.reshape({model.input(0).get_any_name(): list(shape)})
            compiled = self.core.compile_model(model, "CPU", {
                "INFERENCE_NUM_THREADS": self.threads, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1})
            self.compiled[shape] = compiled.create_infer_request()
        return self.compiled[shape]

    def __call__(self, x):
        req = self.prepare(x)
        req.infer({0: x})
        return req.get_output_tensor(0).data[0].copy()


def run_ours(agent, int8, images, threads, runs, warmup, masks_dir):
    cmd = [agent, "bench-segment", *images, "--model", int8, "--threads", ",".join(map(str, threads)),
           "--runs", str(runs), "--warmup", str(warmup), "--masks", masks_dir]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    return json.loads(out.stdout)


def fp32_check(agent, fp32, image_dir, names, onnx_masks, classes):
    """Our fp32 forward (`matssl-agent evaluate`, whole image) vs the ONNX fp32 graph, compared through
    the confusion matrix against the ground-truth masks: identical matrices = identical predictions
    (up to pixels whose errors cancel). Returns a dict with both matrices and the L1 difference / 2."""
    mask_dir = os.path.join(os.path.dirname(os.path.normpath(image_dir)), "masks")
    if not os.path.isdir(mask_dir):
        return None
    from PIL import Image
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("\n".join(os.path.splitext(n)[0] for n in names) + "\n")
        lst = f.name
    cmd = [agent, "evaluate", "--model", fp32, "--images", image_dir, "--masks", mask_dir, "--list", lst,
           "--json", "--threads", "2"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    os.unlink(lst)
    if out.returncode != 0:
        log(f"fp32 check skipped: {' '.join(cmd)} failed: {out.stderr[-500:]}")
        return None
    ours = json.loads(out.stdout.strip().splitlines()[-1])["confusion"]
    conf = np.zeros((classes, classes), np.int64)
    for n in names:
        truth = np.asarray(Image.open(os.path.join(mask_dir, os.path.splitext(n)[0] + ".png")))
        pred = onnx_masks[n]
        h, w = min(truth.shape[0], pred.shape[0]), min(truth.shape[1], pred.shape[1])
        t, p = truth[:h, :w].ravel().astype(np.int64), pred[:h, :w].ravel().astype(np.int64)
        ok = (t < classes) & (p < classes)
        conf += np.bincount(t[ok] * classes + p[ok], minlength=classes * classes).reshape(classes, classes)
    diff = int(np.abs(conf.ravel() - np.asarray(ours)).sum())
    return {"images": names, "ours_confusion": ours, "onnx_confusion": conf.ravel().tolist(),
            "pixels": int(conf.sum()), "l1_diff": diff}


def agree(a, b):
    return float(np.mean(a == b))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fp32", default=os.path.join(ROOT, "models", "metaldam.fp32.safetensors"))
    ap.add_argument("--int8", default=os.path.join(ROOT, "models", "metaldam.int8.safetensors"))
    ap.add_argument("--agent", default=os.path.join(ROOT, ".build", "release", "matssl-agent"))
    ap.add_argument("--image-dir", default=DATA)
    ap.add_argument("--images", default="micrograph12.jpg,micrograph26.jpg,micrograph33.jpg",
                    help="comma-separated micrographs in --image-dir (timed and compared)")
    ap.add_argument("--big", type=int, default=4096, help="side of the generated 16-bit TIFF (0 = skip)")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--rounds", type=int, default=2, help="rounds; engines alternate within each round")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per engine, image, thread count, round")
    ap.add_argument("--big-runs", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=1, help="untimed runs before each timed series")
    ap.add_argument("--big-warmup", type=int, default=1)
    ap.add_argument("--calibration", choices=["minmax", "entropy", "percentile"], default="minmax")
    ap.add_argument("--workdir", default=None, help="where ONNX models, masks and the TIFF go (default: a temp dir)")
    ap.add_argument("--markdown", default=None, help="write the markdown report here")
    ap.add_argument("--json", default=None, help="write raw results as JSON here")
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    work = args.workdir or tempfile.mkdtemp(prefix="matssl-onnx-")
    os.makedirs(work, exist_ok=True)
    for p in (args.fp32, args.int8, args.agent):
        if not os.path.exists(p):
            raise SystemExit(f"not found: {p}")

    # 1. Models.
    fp32_onnx, int8_onnx = os.path.join(work, "model.fp32.onnx"), os.path.join(work, "model.int8.qdq.onnx")
    # The int8 model may carry a logit adjustment (quantize --logit-adjustment) that the fp32
    # checkpoint does not: the ONNX graph gets the same offsets, so both are the same network.
    _, int8_meta = read_safetensors(args.int8)
    adjustment = json.loads(int8_meta["info"])["provenance"].get("logitAdjustment")
    offsets = logit_offsets(adjustment)
    if offsets is not None:
        log(f"logit adjustment of the int8 model (tau {adjustment['tau']}, weights {adjustment['classWeights']}): "
            f"classifier bias + {offsets.round(4).tolist()}")
    model, cfg = build_onnx(args.fp32, offsets=offsets)
    onnx.save(model, fp32_onnx)
    calib = calibration_images(args.int8, args.image_dir)
    log(f"quantize_static (QDQ, per-channel, u8/s8, {args.calibration}) on {[os.path.basename(c) for c in calib]}")
    method = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
              "percentile": CalibrationMethod.Percentile}[args.calibration]
    quantize_static(fp32_onnx, int8_onnx, _Calib(calib), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, calibrate_method=method)

    # 2. Inputs.
    images = [os.path.join(args.image_dir, n) for n in args.images.split(",") if n]
    small = {os.path.basename(p): p for p in images}
    big = None
    if args.big:
        big = os.path.join(work, f"mosaic{args.big}.tif")
        if not os.path.exists(big):
            make_big_tiff(big, images, args.big)
    inputs = {n: load_gray(p) for n, p in small.items()}
    if big:
        inputs[os.path.basename(big)] = load_gray(big)

    # 3. Engines, per thread count (sessions kept across rounds).
    makers = {"ort-fp32": lambda t: OrtEngine(fp32_onnx, t), "ort-int8": lambda t: OrtEngine(int8_onnx, t),
              "ov-int8": lambda t: OvEngine(int8_onnx, t)}
    # Engines are created per round, thread count and image group and dropped after use (outside the
    # clock): onnxruntime's arena keeps ~4 GB per session after a 4096² whole-image run.
    times = {}   # (engine, image, threads) -> [ms]
    masks = {}   # (engine, image) -> labels [h, w] (from the 1-thread runs)
    ours_meta = {}
    masks_dir = os.path.join(work, "ours-masks")
    load_before = loadavg()
    log(f"load average before: {load_before}")
    groups = [(list(small.values()), args.runs, args.warmup)] + (
        [([big], args.big_runs, args.big_warmup)] if big else [])
    for r in range(args.rounds):
        for paths, runs, warmup in groups:
            log(f"round {r + 1}/{args.rounds}: ours on {len(paths)} image(s)")
            rep = run_ours(args.agent, args.int8, paths, threads, runs, warmup, masks_dir)
            ours_meta = {k: rep[k] for k in ("model", "modelVersion", "tier")}
            for res in rep["results"]:
                times.setdefault(("ours-int8", res["image"], res["threads"]), []).extend(res["ms"])
            for t in threads:
                for e in makers:
                    log(f"round {r + 1}/{args.rounds}: {e}, {t} thread(s), {len(paths)} image(s)")
                    engine = makers[e](t)
                    for p in paths:
                        name = os.path.basename(p)
                        x, h, w = inputs[name]
                        engine.prepare(x)
                        for _ in range(warmup):
                            y = engine(x)
                        for _ in range(runs):
                            t0 = time.perf_counter()
                            y = engine(x)
                            times.setdefault((e, name, t), []).append((time.perf_counter() - t0) * 1000)
                        masks[(e, name)] = np.asarray(y)[:h, :w]
                    del engine
                    gc.collect()
    load_after = loadavg()
    for name, (x, h, w) in inputs.items():
        raw = np.fromfile(os.path.join(masks_dir, os.path.splitext(name)[0] + ".labels.u8"), np.uint8)
        masks[("ours-int8", name)] = raw.reshape(h, w)

    log("fp32 check: our fp32 forward (evaluate) vs ONNX fp32")
    check_masks = {n: masks[("ort-fp32", n)] for n in small}
    if offsets is not None:
        # `evaluate` runs the fp32 checkpoint as trained: compare it with the graph without the offsets.
        plain = os.path.join(work, "model.fp32.unadjusted.onnx")
        onnx.save(build_onnx(args.fp32)[0], plain)
        engine = OrtEngine(plain, 2)
        check_masks = {n: np.asarray(engine(inputs[n][0]))[:inputs[n][1], :inputs[n][2]] for n in small}
        del engine
    check = fp32_check(args.agent, args.fp32, args.image_dir, list(small), check_masks, len(cfg["classNames"]))

    # 4. Report.
    pairs = [("ours-int8", "ort-fp32"), ("ours-int8", "ort-int8"), ("ours-int8", "ov-int8"),
             ("ort-int8", "ort-fp32"), ("ov-int8", "ort-fp32"), ("ov-int8", "ort-int8")]
    agreement = {f"{a} vs {b}": {n: agree(masks[(a, n)], masks[(b, n)]) for _, n in enumerate(inputs)}
                 for a, b in pairs}
    rows = []
    for name, (x, h, w) in inputs.items():
        for t in threads:
            ours = min(times[("ours-int8", name, t)])
            for e in ENGINES:
                ms = times[(e, name, t)]
                rows.append({"image": name, "size": f"{w}×{h}", "threads": t, "engine": e, "runs": len(ms),
                             "best_ms": min(ms), "median_ms": statistics.median(ms),
                             "speedup_of_ours": min(ms) / ours})
    env = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "cpu": cpu_model(), "nproc": os.cpu_count(), "load_before": load_before, "load_after": load_after,
           "onnxruntime": ort.__version__, "openvino": ov.__version__, "onnx": onnx.__version__,
           "ours": ours_meta, "fp32": os.path.basename(args.fp32), "int8": os.path.basename(args.int8),
           "calibration": [os.path.basename(c) for c in calib], "ort_calibration": args.calibration,
           "rounds": args.rounds, "runs": args.runs, "big_runs": args.big_runs, "warmup": args.warmup,
           "big_warmup": args.big_warmup, "logit_adjustment": adjustment}
    md = markdown(env, rows, agreement, check)
    print(md)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"env": env, "rows": rows, "agreement": agreement, "fp32_check": check}, f, indent=1)


def markdown(env, rows, agreement, check):
    o = [f"Run {env['date']} on {env['cpu']} ({env['nproc']} vCPUs); load average before/after: "
         f"{env['load_before']} / {env['load_after']}.",
         f"Models: `{env['int8']}` (ours, {env['ours'].get('model')} {env['ours'].get('modelVersion')}, "
         f"int8 kernel tier `{env['ours'].get('tier')}`) and `{env['fp32']}` → ONNX"
         + (f" with the int8 model's logit adjustment added to the classifier bias (τ {env['logit_adjustment']['tau']}, "
            f"class weights {env['logit_adjustment']['classWeights']})" if env.get("logit_adjustment") else "")
         + "; onnxruntime "
         f"{env['onnxruntime']} int8 = `quantize_static` QDQ, per-channel s8 weights, u8 activations, "
         f"{env['ort_calibration']} calibration on {', '.join(env['calibration'])}; OpenVINO {env['openvino']} "
         "runs that QDQ model. Times: best and median of "
         f"{env['rounds']} rounds × {env['runs']} runs (4096² image: {env['rounds']} × {env['big_runs']}), "
         f"{env['warmup']} (4096²: {env['big_warmup']}) untimed warm-up run(s) before each series, engines alternating within each round. Ours = "
         "`matssl-agent bench-segment` (TiledSegmenter.segment only; decode outside the clock); the "
         "others = one `run` of the whole image (input already decoded and padded; argmax in the graph).",
         "", "| image | threads | engine | best ms | median ms | engine ÷ ours (best) |",
         "|---|---:|---|---:|---:|---:|"]
    for r in rows:
        o.append(f"| {r['image']} {r['size']} | {r['threads']} | {r['engine']} | {r['best_ms']:.0f} | "
                 f"{r['median_ms']:.0f} | {r['speedup_of_ours']:.2f} |")
    names = list(next(iter(agreement.values())).keys())
    o += ["", "Pixel agreement of the masks (fraction of pixels with the same class):", "",
          "| pair | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for pair, per in agreement.items():
        o.append(f"| {pair} | " + " | ".join(f"{per[n] * 100:.2f}%" for n in names) + " |")
    if check:
        o += ["", f"fp32 check (same network?): confusion matrix vs ground truth of our fp32 forward "
              f"(`matssl-agent evaluate`, whole image) and of the ONNX fp32 graph"
              + (" (both without the logit adjustment)" if env.get("logit_adjustment") else "")
              + f" on {', '.join(check['images'])}: "
              f"{check['pixels']} pixels, L1 difference of the matrices {check['l1_diff']} "
              f"({'identical' if check['l1_diff'] == 0 else 'not identical'})."]
    return "\n".join(o) + "\n"


if __name__ == "__main__":
    main()
