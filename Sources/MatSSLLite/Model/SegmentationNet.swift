import Foundation
import QuantKernels

/// MatSSL-Lite segmentation network: ResNet encoder + U-Net decoder with GFF-gated skips.
/// Input images [n, 1, h, w] in [0, 1] (h, w multiples of 32) → logits [n, classes, h, w].
/// Decoder: stage 4 (scaled by sigmoid(gate4)) → block0 (+ gated stage 3) → block1 (+ gated stage 2)
/// → block2 (+ gated stage 1) → block3 (+ stem, stride 2) → block4 (full resolution, no skip)
/// → 1×1 `classifier` with bias.
public final class SegmentationNet {
    public let config: ModelConfig
    public let store = ParameterStore()
    let workspace = Workspace()
    public let encoder: ResNetEncoder
    public let gates: GFFGates
    public let blocks: [DecoderBlock]
    public let classifier: Conv2D
    public var numClasses: Int { config.classNames.count }
    private var stage4: Tensor?, gate4: [Float] = []

    /// Builds the network and initialises parameters from `seed`.
    public init(config: ModelConfig, seed: UInt64 = 1) throws {
        try config.validate()
        guard config.classNames.count >= 2 else { throw ModelError.invalidConfig("segmentation needs ≥ 2 classes") }
        self.config = config
        encoder = ResNetEncoder(config, store, workspace)
        gates = GFFGates(config, store)
        let w = config.widths, d = config.decoderWidths
        let skips = [w[2], w[1], w[0], config.stemWidth, 0]
        var cin = w[3]
        var blocks: [DecoderBlock] = []
        for i in 0..<5 {
            blocks.append(DecoderBlock("decoder.blocks.\(i)", store, workspace, cin: cin, cskip: skips[i], cout: d[i]))
            cin = d[i]
        }
        self.blocks = blocks
        classifier = Conv2D("classifier", store, workspace, cin: d[4], cout: config.classNames.count, kernel: 1, pad: 0, bias: true)
        store.finalize(seed: seed)
    }

    public var batchNorms: [BatchNorm] { encoder.batchNorms + blocks.flatMap { $0.batchNorms } }

    /// Train mode (batch statistics) or eval mode (running statistics).
    public var training: Bool = true {
        didSet { for b in batchNorms { b.training = training } }
    }

    /// Every conv layer in forward order, each with the BN that follows it (nil for the classifier).
    public var convLayers: [(conv: Conv2D, bn: BatchNorm?)] {
        var out: [(Conv2D, BatchNorm?)] = [(encoder.conv1, encoder.bn1)]
        for stage in encoder.layers {
            for b in stage {
                out.append((b.conv1, b.bn1)); out.append((b.conv2, b.bn2))
                if let ds = b.downsample { out.append((ds.conv, ds.bn)) }
            }
        }
        for b in blocks { out.append((b.conv1, b.bn1)); out.append((b.conv2, b.bn2)) }
        out.append((classifier, nil))
        return out
    }

    /// Normalises images [n, 1, h, w] with the config's mean/std (new tensor).
    public func normalize(_ x: Tensor) -> Tensor {
        let y = Tensor(uninitialized: x.shape)
        let m = config.mean, inv = 1 / config.std
        for i in 0..<x.count { y[i] = (x[i] - m) * inv }
        return y
    }

    /// images [n, 1, h, w] in [0, 1] → logits [n, classes, h, w]. Keeps what backward needs in train mode.
    public func forward(_ images: Tensor) throws -> Tensor {
        guard images.shape.count == 4, images.c == 1, images.h % 32 == 0, images.w % 32 == 0, images.h > 0, images.w > 0 else {
            throw ModelError.badInput("expected [n, 1, h, w] with h, w multiples of 32, got \(images.shape)")
        }
        let keep = training
        let f = encoder.forward(normalize(images), keep: keep)
        gate4 = gates.scale(3)
        let s4 = f.stages[3]
        let g4 = Tensor(uninitialized: s4.shape)
        qk_f32_channel_scale_forward(s4.data, gate4, Int32(s4.n), Int32(s4.c), Int32(s4.plane), g4.data)
        stage4 = keep ? s4 : nil
        var h = g4
        let skips: [Tensor?] = [f.stages[2], f.stages[1], f.stages[0], f.stem, nil]
        for i in 0..<5 {
            let scale: [Float]? = i < 3 ? gates.scale(2 - i) : nil
            h = blocks[i].forward(h, skip: skips[i], skipScale: scale, keep: keep)
        }
        return classifier.forward(h, keep: keep)
    }

    /// dLogits [n, classes, h, w]; accumulates all parameter gradients.
    public func backward(_ dLogits: Tensor) {
        let dh0 = Tensor([dLogits.n, config.decoderWidths[4], dLogits.h, dLogits.w])
        classifier.backward(dLogits, into: dh0)
        var dh = dh0
        var dStages: [Tensor?] = [nil, nil, nil, nil]
        var dStem: Tensor? = nil
        for i in stride(from: 4, through: 0, by: -1) {
            let r = blocks[i].backward(dh)
            dh = r.dx
            if i < 3 { dStages[2 - i] = r.dSkip; if let ds = r.dScale { gates.backward(2 - i, dScale: ds) } }
            if i == 3 { dStem = r.dSkip }
        }
        guard let s4 = stage4 else { preconditionFailure("SegmentationNet: backward without train forward") }
        let ds4 = s4.zerosLike()
        var dsc = [Float](repeating: 0, count: s4.c)
        qk_f32_channel_scale_backward(s4.data, gate4, dh.data, Int32(s4.n), Int32(s4.c), Int32(s4.plane), ds4.data, &dsc)
        gates.backward(3, dScale: dsc)
        dStages[3] = ds4
        stage4 = nil
        encoder.backward(dStem: dStem, dStages: dStages)
    }

    /// Multiply-accumulates of one forward pass at n × h × w.
    public func forwardMACs(n: Int, h: Int, w: Int) -> Int {
        var total = 0
        // Walk shapes: stem at /2, stages, decoder.
        let cfg = config
        func conv(_ cin: Int, _ cout: Int, _ k: Int, _ hh: Int, _ ww: Int) -> Int { n * cin * cout * k * k * hh * ww }
        total += conv(1, cfg.stemWidth, cfg.stemKernel, h / 2, w / 2)
        var cin = cfg.stemWidth
        for s in 0..<4 {
            let hs = h >> (s + 2), wsz = w >> (s + 2)
            for b in 0..<cfg.depths[s] {
                let ci = b == 0 ? cin : cfg.widths[s]
                total += conv(ci, cfg.widths[s], 3, hs, wsz) + conv(cfg.widths[s], cfg.widths[s], 3, hs, wsz)
                if b == 0 && (s > 0 || ci != cfg.widths[s]) { total += conv(ci, cfg.widths[s], 1, hs, wsz) }
            }
            cin = cfg.widths[s]
        }
        for b in blocks.enumerated() {
            let f = 1 << (4 - b.offset) // block i runs at stride 2^(4-i)
            total += conv(b.element.cin + b.element.cskip, b.element.cout, 3, h / f, w / f)
            total += conv(b.element.cout, b.element.cout, 3, h / f, w / f)
        }
        total += conv(cfg.decoderWidths[4], numClasses, 1, h, w)
        return total
    }
}
