"""MatSSL-Lite fp32 checkpoint (safetensors) -> the same network as an ONNX graph.

The topology follows Sources/MatSSLLite/Model (SegmentationNet.foldedConvs() doc comment):
  x = (image - mean) / std                       image [1, 1, H, W] in [0, 1], H, W multiples of 32
  stem = relu(conv1(x))  (7x7 or 3x3, stride 2);  h = maxpool3x3s2p1(stem)
  BasicBlock: a = relu(conv1(h)); h = relu(conv2(a) + (downsample(h) or h))
  decoder block i (0..4): d = relu(conv2(relu(conv1(concat(up2(d), skip_i)))))
    skip_i = stage3, stage2, stage1, stem, none; d0 = stage4 * sigmoid(gff.gate4);
    skips 0..2 scaled by sigmoid(gff.gate3/2/1)
  logits = classifier(d) (1x1 with bias);  labels = argmax over classes  -> [1, H, W] int64
BatchNorm (eval mode, eps 1e-5) and the GFF gates are folded into the conv weights exactly as
foldedConvs() does, so the graph computes what our fp32 forward computes.
"""
import json
import struct

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BN_EPS = 1e-5
_DTYPES = {"F32": np.float32, "I32": np.int32, "I8": np.int8, "U8": np.uint8}


def read_safetensors(path):
    """-> (dict name -> np.ndarray, metadata dict). Plain struct parsing of the safetensors layout."""
    with open(path, "rb") as f:
        data = f.read()
    (hlen,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + hlen])
    meta = header.pop("__metadata__", {})
    body = memoryview(data)[8 + hlen:]
    tensors = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        tensors[name] = np.frombuffer(body[a:b], dtype=_DTYPES[e["dtype"]]).reshape(e["shape"]).copy()
    return tensors, meta


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x.astype(np.float64)))


class _Graph:
    def __init__(self, tensors):
        self.t = tensors
        self.nodes, self.inits = [], []
        self.count = 0

    def fresh(self, base):
        self.count += 1
        return f"{base}__{self.count}"

    def const(self, name, array):
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def conv(self, x, name, bn, stride, pad, relu, in_scale=None, bias_name=None):
        """Conv `name` with BN `bn` (prefix or None) folded in; in_scale [cin] scales input channels."""
        w = self.t[f"{name}.weight"].astype(np.float64)
        b = self.t[bias_name].astype(np.float64) if bias_name else np.zeros(w.shape[0])
        if in_scale is not None:
            w = w * in_scale[None, :, None, None]
        if bn is not None:
            g, beta = self.t[f"{bn}.weight"], self.t[f"{bn}.bias"]
            m, v = self.t[f"{bn}.running_mean"], self.t[f"{bn}.running_var"]
            # Same float32 arithmetic as BatchNorm.foldedAffine().
            sc = (g / np.sqrt(v + np.float32(BN_EPS))).astype(np.float32)
            sh = (beta - m * sc).astype(np.float32)
            w = w * sc[:, None, None, None]
            b = b * sc + sh
        k = w.shape[2]
        wn = self.const(f"{name}.w", w.astype(np.float32))
        bname = self.const(f"{name}.b", b.astype(np.float32))
        out = self.fresh(name)
        self.nodes.append(helper.make_node("Conv", [x, wn, bname], [out], name=name, kernel_shape=[k, k],
                                           strides=[stride, stride], pads=[pad] * 4))
        return self.relu(out) if relu else out

    def relu(self, x):
        out = self.fresh("relu")
        self.nodes.append(helper.make_node("Relu", [x], [out]))
        return out

    def op(self, kind, inputs, **attrs):
        out = self.fresh(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attrs))
        return out


def logit_offsets(adjustment):
    """The offsets `LogitAdjustment.offsets` adds to the classifier bias: -tau * log w_c, shifted to
    mean 0 over the classes with w_c > 0 (0 for w_c = 0). adjustment: {"tau", "classWeights"} or None."""
    if not adjustment:
        return None
    w = np.array(adjustment["classWeights"], np.float64)
    present = w > 0
    if not present.any():
        return np.zeros(len(w), np.float32)
    mean_log = np.log(w[present]).mean()
    out = np.zeros(len(w))
    out[present] = -float(adjustment["tau"]) * (np.log(w[present]) - mean_log)
    return out.astype(np.float32)


def build_onnx(checkpoint_path, opset=17, offsets=None):
    """-> (onnx.ModelProto, config dict). Input 'image' [1, 1, H, W] float in [0, 1]; output 'labels'.
    offsets: added to the classifier bias (the int8 model's logit adjustment, see `logit_offsets`)."""
    tensors, meta = read_safetensors(checkpoint_path)
    if offsets is not None:
        tensors["classifier.bias"] = (tensors["classifier.bias"] + offsets).astype(np.float32)
    cfg = json.loads(meta["config"])
    if cfg.get("standardizeIntensity"):
        # The per-image table (IntensityStandardization) depends on the whole image's statistics;
        # it is not part of this graph. Refuse rather than compare against the wrong input.
        raise SystemExit(f"{checkpoint_path}: the model standardises intensities per image; "
                         "this ONNX export does not include that step")
    widths, depths, dec = cfg["widths"], cfg["depths"], cfg["decoderWidths"]
    g = _Graph(tensors)
    x = g.op("Sub", ["image", g.const("mean", np.array(cfg["mean"], np.float32))])
    x = g.op("Div", [x, g.const("std", np.array(cfg["std"], np.float32))])
    k = cfg["stemKernel"]
    stem = g.conv(x, "conv1", "bn1", 2, k // 2, True)
    h = g.op("MaxPool", [stem], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    stages, cin = [], widths[0]
    for s in range(4):
        for b in range(depths[s]):
            p = f"layer{s + 1}.{b}"
            c_in = cin if b == 0 else widths[s]
            stride = 2 if (b == 0 and s > 0) else 1
            a = g.conv(h, f"{p}.conv1", f"{p}.bn1", stride, 1, True)
            y = g.conv(a, f"{p}.conv2", f"{p}.bn2", 1, 1, False)
            short = h
            if stride != 1 or c_in != widths[s]:
                short = g.conv(h, f"{p}.downsample.0", f"{p}.downsample.1", stride, 0, False)
            h = g.relu(g.op("Add", [y, short]))
        cin = widths[s]
        stages.append(h)
    gates = [_sigmoid(tensors[f"gff.gate{s + 1}"]) for s in range(4)]
    skips = [stages[2], stages[1], stages[0], stem, None]
    skip_ch = [widths[2], widths[1], widths[0], widths[0], 0]
    scales = g.const("up2.scales", np.array([1, 1, 2, 2], np.float32))
    d, d_ch = stages[3], widths[3]
    for i in range(5):
        p = f"decoder.blocks.{i}"
        scale = np.ones(d_ch + skip_ch[i])
        if i == 0:
            scale[:d_ch] = gates[3]
        if i < 3:
            scale[d_ch:] = gates[2 - i]
        u = g.op("Resize", [d, "", scales], mode="nearest", coordinate_transformation_mode="asymmetric",
                 nearest_mode="floor")
        cat = g.op("Concat", [u, skips[i]], axis=1) if skips[i] is not None else u
        a = g.conv(cat, f"{p}.conv1", f"{p}.bn1", 1, 1, True, in_scale=scale)
        d = g.conv(a, f"{p}.conv2", f"{p}.bn2", 1, 1, True)
        d_ch = dec[i]
    logits = g.conv(d, "classifier", None, 1, 0, False, bias_name="classifier.bias")
    g.nodes.append(helper.make_node("ArgMax", [logits], ["labels"], axis=1, keepdims=0))
    graph = helper.make_graph(
        g.nodes, "matssl_lite",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 1, "H", "W"])],
        [helper.make_tensor_value_info("labels", TensorProto.INT64, [1, "H", "W"])],
        initializer=g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="matssl-agent bench/onnx-compare.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, cfg
