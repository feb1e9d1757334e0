import QuantKernels

/// The encoder's outputs: stem features (stride 2, after ReLU) and the four stage outputs
/// (strides 4/8/16/32): stem [n, w1, h/2, w/2], stages[s] [n, widths[s], h/2^(s+2), w/2^(s+2)].
public struct EncoderFeatures {
    public var stem: Tensor
    public var stages: [Tensor]
}

/// ResNet (BasicBlock) encoder with a single-channel input and torchvision parameter names:
/// `conv1`, `bn1`, maxpool, `layer1..layer4`. Input x [n, 1, h, w] (already normalised).
public final class ResNetEncoder {
    public let conv1: Conv2D, bn1: BatchNorm
    let relu = ReLU(), pool = MaxPool3x3S2()
    public let layers: [[BasicBlock]]
    private var stemShape: [Int] = []

    init(_ cfg: ModelConfig, _ store: ParameterStore, _ ws: Workspace) {
        conv1 = Conv2D("conv1", store, ws, cin: 1, cout: cfg.stemWidth, kernel: cfg.stemKernel, stride: 2)
        bn1 = BatchNorm("bn1", store, channels: cfg.stemWidth)
        var layers: [[BasicBlock]] = []
        var cin = cfg.stemWidth
        for s in 0..<4 {
            var blocks: [BasicBlock] = []
            for b in 0..<cfg.depths[s] {
                blocks.append(BasicBlock("layer\(s + 1).\(b)", store, ws, cin: b == 0 ? cin : cfg.widths[s],
                                         cout: cfg.widths[s], stride: b == 0 && s > 0 ? 2 : 1))
            }
            cin = cfg.widths[s]
            layers.append(blocks)
        }
        self.layers = layers
    }

    var batchNorms: [BatchNorm] { [bn1] + layers.flatMap { $0.flatMap { $0.batchNorms } } }

    public func forward(_ x: Tensor, keep: Bool) -> EncoderFeatures {
        let stem = relu.forward(bn1.forward(conv1.forward(x, keep: keep), keep: keep), keep: keep)
        stemShape = stem.shape
        var h = pool.forward(stem, keep: keep)
        var stages: [Tensor] = []
        for blocks in layers {
            for b in blocks { h = b.forward(h, keep: keep) }
            stages.append(h)
        }
        return EncoderFeatures(stem: stem, stages: stages)
    }

    /// Gradients w.r.t. the stem and stage outputs (nil = zero); accumulates parameter gradients.
    public func backward(dStem: Tensor?, dStages: [Tensor?]) {
        var d: Tensor? = nil
        for s in stride(from: 3, through: 0, by: -1) {
            if let g = dStages[s] {
                if let dd = d { qk_f32_accumulate(dd.data, g.data, dd.count) } else {
                    let c = g.zerosLike(); qk_f32_accumulate(c.data, g.data, c.count); d = c
                }
            }
            guard var cur = d else { continue }
            for b in layers[s].reversed() { cur = b.backward(cur) }
            d = cur
        }
        let dstemOut = Tensor(stemShape)
        if let dd = d { pool.backward(dd, into: dstemOut) }
        if let g = dStem { qk_f32_accumulate(dstemOut.data, g.data, g.count) }
        let dbn = dstemOut.zerosLike()
        relu.backward(dstemOut, into: dbn)
        let dconv = dbn.zerosLike()
        bn1.backward(dbn, into: dconv)
        conv1.backward(dconv, into: nil)
    }
}
