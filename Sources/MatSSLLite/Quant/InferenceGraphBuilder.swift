import Foundation

/// Builds the `InferenceGraph` of a trained `SegmentationNet`: folds eval-mode batch norm into each
/// conv (w·γ/√(σ²+ε), β − μ·γ/√(σ²+ε)), the input normalisation into the stem, and each GFF gate
/// sigmoid(g_s) into the input channels of the decoder conv that reads the gated feature.
public enum InferenceGraphBuilder {
    public static func build(_ net: SegmentationNet) -> InferenceGraph {
        var b = Builder(store: net.store)
        let cfg = net.config
        let input = b.tensor(1, stride: 1, "input")

        // Stem: the input is x − mean (done by the runner), 1/std is folded into the weights.
        let enc = net.encoder
        let stem = b.conv(enc.conv1, bn: enc.bn1, input: input, stride: 2, relu: true, name: "stem")
        b.foldInputScale(enc.conv1.name, std: cfg.std)
        let pooled = b.tensor(cfg.stemWidth, stride: 4, "maxpool")
        b.ops.append(.maxPool(input: stem, output: pooled))

        var h = pooled
        var stride = 4
        var stages: [Int] = []
        for (s, blocks) in enc.layers.enumerated() {
            for (i, blk) in blocks.enumerated() {
                let bs = i == 0 && s > 0 ? stride * 2 : stride
                let a = b.conv(blk.conv1, bn: blk.bn1, input: h, stride: bs, relu: true, name: "layer\(s + 1).\(i).a")
                var shortcut = h
                if let ds = blk.downsample {
                    shortcut = b.conv(ds.conv, bn: ds.bn, input: h, stride: bs, relu: false, name: "layer\(s + 1).\(i).shortcut")
                }
                h = b.conv(blk.conv2, bn: blk.bn2, input: a, stride: bs, relu: true, residual: shortcut, name: "layer\(s + 1).\(i).out")
                stride = bs
            }
            stages.append(h)
        }

        // Decoder: block i upsamples, concatenates the (gated) skip, conv-BN-ReLU ×2.
        let skips: [Int?] = [stages[2], stages[1], stages[0], stem, nil]
        let skipGates: [[Float]?] = [net.gates.scale(2), net.gates.scale(1), net.gates.scale(0), nil, nil]
        let gate4 = net.gates.scale(3)
        for (i, blk) in net.blocks.enumerated() {
            stride /= 2
            let up = b.tensor(b.graphTensors[h].channels, stride: stride, "decoder.\(i).up")
            b.ops.append(.upsample(input: h, output: up))
            var cat = up
            if let skip = skips[i] {
                cat = b.tensor(blk.cin + blk.cskip, stride: stride, "decoder.\(i).cat")
                b.ops.append(.concat(inputs: [up, skip], output: cat))
            }
            let c1 = b.conv(blk.conv1, bn: blk.bn1, input: cat, stride: stride, relu: true, name: "decoder.\(i).a")
            // Gates: stage 4's gate scales the upsampled input of block 0; stages 3..1 scale the skips.
            let cin = blk.cin + blk.cskip
            if i == 0 { b.scaleInputChannels(blk.conv1.name, cin: cin, range: 0..<blk.cin, by: gate4) }
            if let g = skipGates[i] { b.scaleInputChannels(blk.conv1.name, cin: cin, range: blk.cin..<cin, by: g) }
            h = b.conv(blk.conv2, bn: blk.bn2, input: c1, stride: stride, relu: true, name: "decoder.\(i).out")
        }
        let logits = b.conv(net.classifier, bn: nil, input: h, stride: 1, relu: false, name: "logits", floatOutput: true)
        return InferenceGraph(tensors: b.graphTensors, ops: b.ops, output: logits, inputMean: cfg.mean,
                              weights: b.weights, biases: b.biases)
    }

    private struct Builder {
        let store: ParameterStore
        var graphTensors: [InferenceGraph.TensorSpec] = []
        var ops: [InferenceGraph.Op] = []
        var weights: [String: [Float]] = [:]
        var biases: [String: [Float]] = [:]

        init(store: ParameterStore) { self.store = store }

        mutating func tensor(_ channels: Int, stride: Int, _ name: String) -> Int {
            graphTensors.append(.init(channels: channels, stride: stride, name: name))
            return graphTensors.count - 1
        }

        /// Adds a conv with BN folded in; returns its output tensor.
        mutating func conv(_ conv: Conv2D, bn: BatchNorm?, input: Int, stride: Int, relu: Bool, residual: Int? = nil,
                           name: String, floatOutput: Bool = false) -> Int {
            let out = tensor(conv.cout, stride: stride, name)
            var w = Array(UnsafeBufferPointer(start: store.value(conv.weight), count: conv.weight.count))
            var bias = conv.bias.map { Array(UnsafeBufferPointer(start: store.value($0), count: $0.count)) }
                ?? [Float](repeating: 0, count: conv.cout)
            if let bn {
                let (scale, shift) = bn.foldedAffine()
                let per = conv.cin * conv.kernel * conv.kernel
                for c in 0..<conv.cout {
                    for j in 0..<per { w[c * per + j] *= scale[c] }
                    bias[c] = bias[c] * scale[c] + shift[c]
                }
            }
            weights[conv.name] = w
            biases[conv.name] = bias
            ops.append(.conv(.init(name: conv.name, input: input, output: out, residual: residual, cin: conv.cin,
                                   cout: conv.cout, kernel: conv.kernel, stride: conv.stride, pad: conv.pad,
                                   relu: relu, floatOutput: floatOutput)))
            return out
        }

        /// Folds the 1/std of the input normalisation into conv `name` (the mean is subtracted from the
        /// input before the stem, so that zero padding still means "mean intensity" as in training).
        mutating func foldInputScale(_ name: String, std: Float) {
            guard var w = weights[name] else { return }
            for j in w.indices { w[j] /= std }
            weights[name] = w
        }

        /// Multiplies input channels `range` of conv `name` (`cin` input channels) by `scale`.
        mutating func scaleInputChannels(_ name: String, cin: Int, range: Range<Int>, by scale: [Float]) {
            guard var w = weights[name], let cout = biases[name]?.count else { return }
            let per = w.count / cout, kk = per / cin
            for c in 0..<cout {
                for (j, ic) in range.enumerated() {
                    for t in 0..<kk { w[c * per + ic * kk + t] *= scale[j] }
                }
            }
            weights[name] = w
        }
    }
}
