import Foundation

/// Builds the `InferenceGraph` of a trained `SegmentationNet`: the convs come from
/// `SegmentationNet.foldedConvs()` (eval-mode batch norm and the GFF gates folded in); the 1/std of
/// the input normalisation is folded into the stem here, and the graph adds the topology (residuals,
/// pooling, upsampling, concatenation) that the int8 runner and calibration need.
public enum InferenceGraphBuilder {
    public static func build(_ net: SegmentationNet) -> InferenceGraph {
        var b = Builder(folded: Dictionary(uniqueKeysWithValues: net.foldedConvs().map { ($0.name, $0) }))
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
            h = b.conv(blk.conv2, bn: blk.bn2, input: c1, stride: stride, relu: true, name: "decoder.\(i).out")
        }
        let logits = b.conv(net.classifier, bn: nil, input: h, stride: 1, relu: false, name: "logits", floatOutput: true)
        return InferenceGraph(tensors: b.graphTensors, ops: b.ops, output: logits, inputMean: cfg.mean,
                              weights: b.weights, biases: b.biases)
    }

    private struct Builder {
        /// Folded weights and biases by conv name.
        let folded: [String: FoldedConv]
        var graphTensors: [InferenceGraph.TensorSpec] = []
        var ops: [InferenceGraph.Op] = []
        var weights: [String: [Float]] = [:]
        var biases: [String: [Float]] = [:]

        mutating func tensor(_ channels: Int, stride: Int, _ name: String) -> Int {
            graphTensors.append(.init(channels: channels, stride: stride, name: name))
            return graphTensors.count - 1
        }

        /// Adds `conv` (its folded form; `bn` is already folded in); returns its output tensor.
        mutating func conv(_ conv: Conv2D, bn: BatchNorm?, input: Int, stride: Int, relu: Bool, residual: Int? = nil,
                           name: String, floatOutput: Bool = false) -> Int {
            let out = tensor(conv.cout, stride: stride, name)
            let f = folded[conv.name]!
            weights[conv.name] = f.weight
            biases[conv.name] = f.bias
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
    }
}
