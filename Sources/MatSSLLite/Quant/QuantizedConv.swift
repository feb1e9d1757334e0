import QuantKernels

/// One convolution in int8 form: weights s8 `[cout, k, k, cin]` symmetric per output channel,
/// int32 bias in accumulator units, and the per-channel requantization multipliers of the fused
/// output stage (see qk_int8.h). Packs its weights for the kernels once, at load.
public final class QuantizedConv {
    public let spec: InferenceGraph.Conv
    /// s8 weights `[cout, k, k, cin]` (the kernels' order).
    public let weights: [Int8]
    /// Per-output-channel weight scales `[cout]`.
    public let weightScales: [Float]
    /// Bias in accumulator units `[cout]` (u8 outputs), or the float bias (classifier).
    public let bias: [Int32]
    /// out_mult `[cout]` (u8 output) or out_scale `[cout]` (float output).
    public let multipliers: [Float]
    /// Float output only: bias added after scaling `[cout]`.
    public let floatBias: [Float]
    let packed: OpaquePointer

    /// Quantizes folded fp32 weights `[cout, cin, k, k]` and bias `[cout]`.
    /// - Parameters:
    ///   - input, output, residual: the activation parameters around the conv (output ignored for the classifier).
    ///   - inputOffset: the real value the input's zero point stands for is shifted by this much
    ///     (the stem: the model subtracts `mean`, the u8 input subtracts `zp/255`); folded into the bias.
    public convenience init(spec: InferenceGraph.Conv, weights w: [Float], bias b: [Float], input: QuantParams,
                            output: QuantParams?, inputOffset: Float = 0) throws {
        let cout = spec.cout, cin = spec.cin, k = spec.kernel, per = cin * k * k
        var q = [Int8](repeating: 0, count: cout * per)
        var scales = [Float](repeating: 1, count: cout)
        var biasI = [Int32](repeating: 0, count: cout)
        var mult = [Float](repeating: 0, count: cout)
        var fbias = [Float](repeating: 0, count: cout)
        for c in 0..<cout {
            var maxAbs: Float = 0
            var sum: Float = 0
            for j in 0..<per { maxAbs = max(maxAbs, abs(w[c * per + j])); sum += w[c * per + j] }
            let s = maxAbs > 0 ? maxAbs / 127 : 1
            scales[c] = s
            for ic in 0..<cin {
                for t in 0..<(k * k) {
                    let v = (w[c * per + ic * k * k + t] / s).rounded()
                    q[(c * k * k + t) * cin + ic] = Int8(max(-127, min(127, v)))
                }
            }
            let realBias = b[c] + inputOffset * sum
            let accUnit = input.scale * s
            if spec.floatOutput {
                mult[c] = accUnit
                fbias[c] = realBias
            } else {
                let out = output ?? QuantParams(scale: 1, zeroPoint: 0)
                let bi = (realBias / accUnit).rounded()
                biasI[c] = Int32(max(-2_000_000_000, min(2_000_000_000, bi)))
                mult[c] = accUnit / out.scale
            }
        }
        try self.init(spec: spec, weights: q, weightScales: scales, bias: biasI, multipliers: mult, floatBias: fbias)
    }

    /// Builds from already-quantized tensors (a loaded model file).
    public init(spec: InferenceGraph.Conv, weights: [Int8], weightScales: [Float], bias: [Int32], multipliers: [Float],
                floatBias: [Float]) throws {
        let n = spec.cout * spec.kernel * spec.kernel * spec.cin
        guard weights.count == n, weightScales.count == spec.cout, bias.count == spec.cout, multipliers.count == spec.cout,
              floatBias.count == spec.cout else {
            throw ModelError.invalidConfig("conv \(spec.name): tensor sizes do not match [\(spec.cout), \(spec.kernel), \(spec.kernel), \(spec.cin)]")
        }
        guard let p = weights.withUnsafeBufferPointer({
            qk_int8_pack_weights($0.baseAddress, Int32(spec.cout), Int32(spec.kernel), Int32(spec.kernel), Int32(spec.cin))
        }) else { throw ModelError.invalidConfig("conv \(spec.name): weight packing failed") }
        self.spec = spec
        self.weights = weights
        self.weightScales = weightScales
        self.bias = bias
        self.multipliers = multipliers
        self.floatBias = floatBias
        packed = p
    }

    deinit { qk_int8_free_packed(packed) }

    /// Kernel parameters for an input of `h` × `w` pixels.
    func params(h: Int, w: Int, input: QuantParams, output: QuantParams?, residual: QuantParams?) -> qk_conv_params {
        var p = qk_conv_params()
        p.n = 1; p.h = Int32(h); p.w = Int32(w)
        p.cin = Int32(spec.cin); p.cout = Int32(spec.cout)
        p.kh = Int32(spec.kernel); p.kw = Int32(spec.kernel)
        p.stride_h = Int32(spec.stride); p.stride_w = Int32(spec.stride)
        p.pad_top = Int32(spec.pad); p.pad_left = Int32(spec.pad); p.pad_bottom = Int32(spec.pad); p.pad_right = Int32(spec.pad)
        p.dilation = 1
        p.in_zp = Int32(input.zeroPoint)
        p.out_zp = Int32(output?.zeroPoint ?? 0)
        p.relu = spec.relu ? 1 : 0
        if let r = residual, let o = output {
            p.res_zp = Int32(r.zeroPoint)
            p.res_mult = r.scale / o.scale
        }
        return p
    }
}
