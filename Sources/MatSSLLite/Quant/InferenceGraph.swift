/// The inference form of a segmentation network: batch-norm folded into the convolutions, the GFF
/// skip gates folded into the decoder convolutions that read them, and every tensor named by an
/// integer id so that calibration can observe it and int8 execution can give it a scale.
///
/// Tensor 0 is the input image, one channel, raw intensities in [0, 1]. The model's normalisation
/// (x − mean)/std is split: runners subtract `inputMean` (so zero padding means mean intensity, as in
/// training) and 1/std is folded into the stem's weights. The graph runs on images whose sides are multiples of
/// `InferenceGraph.alignment`; every op is translation-equivariant for shifts by that alignment, which
/// is what makes tiled execution exact.
public struct InferenceGraph: Codable, Sendable, Equatable {
    /// One tensor: its channel count and its stride relative to the input (1, 2, 4, …, 32).
    public struct TensorSpec: Codable, Sendable, Equatable {
        public var channels: Int
        public var stride: Int
        /// Name for diagnostics, e.g. "layer2.1.out".
        public var name: String
    }

    /// A convolution with folded weights: out = act(conv(in, w) + bias (+ residual)).
    /// Weights are `[cout, cin, k, k]` (torchvision order) in `weights[name]`, bias `[cout]` in `biases[name]`.
    public struct Conv: Codable, Sendable, Equatable {
        public var name: String
        public var input: Int
        public var output: Int
        /// Tensor added before the activation (ResNet shortcut), same shape as the output.
        public var residual: Int?
        public var cin: Int
        public var cout: Int
        public var kernel: Int
        public var stride: Int
        public var pad: Int
        public var relu: Bool
        /// The classifier: produces float logits, never quantized at its output.
        public var floatOutput: Bool
    }

    public enum Op: Codable, Sendable, Equatable {
        case conv(Conv)
        /// Max pool 3×3, stride 2, padding 1.
        case maxPool(input: Int, output: Int)
        /// Nearest-neighbour 2× upsample.
        case upsample(input: Int, output: Int)
        /// Channel concatenation, inputs in order.
        case concat(inputs: [Int], output: Int)
    }

    /// Image sides must be multiples of this (the deepest stride).
    public static let alignment = 32

    public var tensors: [TensorSpec]
    public var ops: [Op]
    /// The logits tensor (float, `classes` channels, stride 1).
    public var output: Int
    /// Subtracted from the raw input before the stem conv.
    public var inputMean: Float
    /// Folded conv weights `[cout, cin, k, k]` and biases `[cout]`, by conv name.
    public var weights: [String: [Float]]
    public var biases: [String: [Float]]

    /// Number of classes (channels of the output).
    public var classes: Int { tensors[output].channels }

    /// The conv ops in execution order.
    public var convs: [Conv] {
        ops.compactMap { if case .conv(let c) = $0 { return c } else { return nil } }
    }

    /// Multiply-accumulates of one pass over an image of `height` × `width` (multiples of 32).
    public func macs(height: Int, width: Int) -> Int {
        convs.reduce(0) { acc, c in
            let s = tensors[c.output].stride
            return acc + (height / s) * (width / s) * c.cout * c.cin * c.kernel * c.kernel
        }
    }

    /// An upper bound, in input pixels, on how far from an output pixel an input pixel can influence it.
    ///
    /// Walks the graph keeping, per tensor, a radius r such that an element at position p (in its own
    /// grid) depends only on input pixels within r of p·stride. A conv with kernel k, padding p, stride
    /// s at input stride S adds max(p, k−1−p)·S plus (s−1)·S of grid slack; a 2× nearest upsample adds
    /// the coarser stride; a max pool behaves like a 3×3/2 conv.
    public func receptiveRadius() -> Int {
        var r = [Int](repeating: 0, count: tensors.count)
        for op in ops {
            switch op {
            case .conv(let c):
                let S = tensors[c.input].stride
                var v = r[c.input] + max(c.pad, c.kernel - 1 - c.pad) * S + (c.stride - 1) * S
                if let res = c.residual { v = max(v, r[res]) }
                r[c.output] = v
            case .maxPool(let i, let o):
                let S = tensors[i].stride
                r[o] = r[i] + S + S
            case .upsample(let i, let o):
                r[o] = r[i] + tensors[i].stride
            case .concat(let ins, let o):
                r[o] = ins.map { r[$0] }.max() ?? 0
            }
        }
        return r[output]
    }
}
