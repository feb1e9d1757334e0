import Foundation

/// A conv layer of a trained SegmentationNet in inference form, ready for int8 quantization:
/// eval-mode BN folded into weight and bias, and the GFF skip gates folded into the input channels
/// they scale. y = conv(x, weight) + bias, then ReLU if `relu` (the residual add of a BasicBlock's
/// conv2 / downsample comes before that block's final ReLU: see `SegmentationNet` topology below).
public struct FoldedConv: Sendable {
    public let name: String            // e.g. "layer1.0.conv1", "decoder.blocks.2.conv1", "classifier"
    public let cin: Int, cout: Int, kernel: Int, stride: Int, pad: Int
    /// [cout, cin, kernel, kernel]
    public let weight: [Float]
    /// [cout]
    public let bias: [Float]
    /// true when a ReLU follows directly (false for a block's conv2 and downsample, whose sum is
    /// ReLU'd after the residual add, and for the classifier).
    public let relu: Bool
}

extension SegmentationNet {
    /// Every conv in forward order with BN and gates folded. Topology (x = normalised input):
    ///   stem = relu(conv1(x)); h = maxpool3x3s2(stem)
    ///   each block: a = relu(conv1(h)); h = relu(conv2(a) + (downsample(h) or h)); stage_s = last h of layer s
    ///   d = stage4 (gate4 folded into decoder.blocks.0.conv1's first widths[3] input channels)
    ///   block i (0..<4): d = relu(conv2(relu(conv1(concat(up2(d), skip_i))))) with skip_i = stage3,
    ///     stage2, stage1, stem (gates 3, 2, 1 folded into the skip channels of blocks 0, 1, 2)
    ///   block 4: same without a skip; logits = classifier(d) (1×1 with bias).
    /// Input normalisation (x - mean)/std is NOT folded (config.mean / config.std).
    public func foldedConvs() -> [FoldedConv] {
        var out: [FoldedConv] = []
        let store = self.store
        func fold(_ conv: Conv2D, _ bn: BatchNorm?, relu: Bool, inScale: [Float]? = nil) {
            let w = store.value(conv.weight)
            let k2 = conv.kernel * conv.kernel
            var weight = Array(UnsafeBufferPointer(start: w, count: conv.cout * conv.cin * k2))
            var bias = conv.bias.map { Array(UnsafeBufferPointer(start: store.value($0), count: conv.cout)) }
                ?? [Float](repeating: 0, count: conv.cout)
            if let s = inScale {
                for o in 0..<conv.cout { for i in 0..<conv.cin { for k in 0..<k2 { weight[(o * conv.cin + i) * k2 + k] *= s[i] } } }
            }
            if let bn = bn {
                let (sc, sh) = bn.foldedAffine()
                for o in 0..<conv.cout {
                    for j in 0..<(conv.cin * k2) { weight[o * conv.cin * k2 + j] *= sc[o] }
                    bias[o] = bias[o] * sc[o] + sh[o]
                }
            }
            out.append(FoldedConv(name: String(conv.name), cin: conv.cin, cout: conv.cout, kernel: conv.kernel,
                                  stride: conv.stride, pad: conv.pad, weight: weight, bias: bias, relu: relu))
        }
        fold(encoder.conv1, encoder.bn1, relu: true)
        for stage in encoder.layers {
            for b in stage {
                fold(b.conv1, b.bn1, relu: true)
                fold(b.conv2, b.bn2, relu: false)
                if let ds = b.downsample { fold(ds.conv, ds.bn, relu: false) }
            }
        }
        for (i, blk) in blocks.enumerated() {
            var scale = [Float](repeating: 1, count: blk.cin + blk.cskip)
            if i == 0 { let g = gates.scale(3); for c in 0..<blk.cin { scale[c] = g[c] } }
            if i < 3 { let g = gates.scale(2 - i); for c in 0..<blk.cskip { scale[blk.cin + c] = g[c] } }
            fold(blk.conv1, blk.bn1, relu: true, inScale: scale)
            fold(blk.conv2, blk.bn2, relu: true)
        }
        fold(classifier, nil, relu: false)
        return out
    }
}
