#!/usr/bin/env python3
"""Convert a torchvision ResNet-18/34 state dict to a MatSSL-Lite SSL checkpoint (safetensors).

The first conv is summed over RGB (1-channel micrographs), the `fc` head is dropped, and the
MatSSL-Lite metadata (format, config, training state) is written so that
`matssl-agent finetune --init OUT` (or a pretrain run started from it) can use it.

Input: a .safetensors file or a PyTorch .pth/.pt (needs `torch` for .pth; safetensors needs only
numpy). Widths must be [64, 128, 256, 512] (full-width ResNet-18/34); depths are inferred.

  scripts/convert-torchvision-resnet.py resnet18.safetensors resnet18-gray.safetensors [--mean 0.5 --std 0.25]
"""
import argparse, json, struct, sys

import numpy as np


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    dtypes = {"F32": np.float32, "F16": np.float16, "BF16": None, "I64": np.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dt = dtypes.get(e["dtype"])
        if dt is None:
            sys.exit(f"{path}: tensor {name} has unsupported dtype {e['dtype']}")
        a, b = e["data_offsets"]
        out[name] = np.frombuffer(data[base + a: base + b], dtype=dt).reshape(e["shape"]).astype(np.float32)
    return out


def read_any(path):
    if path.endswith(".safetensors"):
        return read_safetensors(path)
    import torch  # only for .pth
    sd = torch.load(path, map_location="cpu")
    if "state_dict" in sd:
        sd = sd["state_dict"]
    return {k: v.float().numpy() for k, v in sd.items() if hasattr(v, "numpy")}


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        blobs.append(arr.tobytes())
    header["__metadata__"] = metadata
    h = json.dumps(header, sort_keys=True).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(path + ".tmp", path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src"); ap.add_argument("dst")
    ap.add_argument("--mean", type=float, default=0.5); ap.add_argument("--std", type=float, default=0.25)
    ap.add_argument("--projector-hidden", type=int, default=512); ap.add_argument("--projector-dim", type=int, default=128)
    a = ap.parse_args()
    sd = {k: v for k, v in read_any(a.src).items()
          if (k.startswith(("conv1.", "bn1.", "layer"))) and not k.endswith("num_batches_tracked")}
    if "conv1.weight" not in sd:
        sys.exit(f"{a.src}: no conv1.weight: not a torchvision ResNet state dict")
    w = sd["conv1.weight"]
    if w.shape[1] == 3:
        sd["conv1.weight"] = w.sum(axis=1, keepdims=True)
    widths = [sd[f"layer{s}.0.conv1.weight"].shape[0] for s in range(1, 5)]
    depths = [len({k.split(".")[1] for k in sd if k.startswith(f"layer{s}.")}) for s in range(1, 5)]
    if any(k.startswith("layer1.0.conv3") for k in sd):
        sys.exit("Bottleneck ResNets (50+) are not supported: MatSSL-Lite uses BasicBlocks")
    config = {"widths": widths, "depths": depths, "stemKernel": int(w.shape[2]),
              "projectorHidden": a.projector_hidden, "projectorDim": a.projector_dim,
              "decoderWidths": [128, 64, 32, 16, 8], "classNames": [], "classColors": [],
              "mean": a.mean, "std": a.std}
    # GFF gates and projector (fresh) so the file is a complete SSL checkpoint.
    rng = np.random.default_rng(1)
    total = sum(widths)
    for s, c in enumerate(widths):
        sd[f"gff.gate{s + 1}"] = np.ones(c, np.float32)
    b0, b3 = 1 / np.sqrt(total), 1 / np.sqrt(a.projector_hidden)
    sd["projector.0.weight"] = rng.uniform(-b0, b0, (a.projector_hidden, total)).astype(np.float32)
    sd["projector.0.bias"] = rng.uniform(-b0, b0, a.projector_hidden).astype(np.float32)
    sd["projector.1.weight"] = np.ones(a.projector_hidden, np.float32)
    sd["projector.1.bias"] = np.zeros(a.projector_hidden, np.float32)
    sd["projector.1.running_mean"] = np.zeros(a.projector_hidden, np.float32)
    sd["projector.1.running_var"] = np.ones(a.projector_hidden, np.float32)
    sd["projector.3.weight"] = rng.uniform(-b3, b3, (a.projector_dim, a.projector_hidden)).astype(np.float32)
    sd["projector.3.bias"] = rng.uniform(-b3, b3, a.projector_dim).astype(np.float32)
    training = {"kind": "ssl", "step": 0, "totalSteps": 0, "seed": 1, "optimizer": "sgd",
                "schedule": {"base": 0.1, "warmupSteps": 0, "totalSteps": 1, "minFactor": 0},
                "weightDecay": 0, "elapsedSeconds": 0, "provenance": {"convertedFrom": a.src}}
    write_safetensors(a.dst, sd, {"format": "matssl-lite/1", "config": json.dumps(config, sort_keys=True),
                                  "training": json.dumps(training, sort_keys=True), "classes": ""})
    print(f"wrote {a.dst}: widths {widths}, depths {depths}, {len(sd)} tensors")


if __name__ == "__main__":
    main()
