import QuantKernels

/// Deterministic pseudo-random numbers (64-bit LCG) so failures reproduce.
struct Int8Rng {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func next() -> UInt32 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return UInt32(truncatingIfNeeded: state >> 33)
    }
    mutating func u8() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
    mutating func s8() -> Int8 { Int8(truncatingIfNeeded: next()) }
    mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt32(range.count)) }
    mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * Float(next() % 1_000_000) / 1_000_000 }
}

/// One conv test case: shape, padding, quantization options, and its random data.
struct Int8ConvCase: CustomStringConvertible {
    var n = 1
    var h: Int
    var w: Int
    var cin: Int
    var cout: Int
    var k: Int
    var kw: Int? = nil
    var stride: Int
    var pad: Int
    var padBR: Int? = nil   // bottom/right padding when it differs from `pad`
    var dilation = 1
    var inZp = 0
    var outZp = 0
    var relu = false
    var residual = false
    var resZp = 0
    var inStride = 0
    var outStride = 0

    var description: String {
        "n\(n) \(h)x\(w) cin\(cin) cout\(cout) k\(k)x\(kw ?? k) s\(stride) p\(pad)/\(padBR ?? pad) d\(dilation) "
            + "zp\(inZp)->\(outZp) relu\(relu) res\(residual) strides \(inStride)/\(outStride)"
    }

    var params: qk_conv_params {
        var p = qk_conv_params()
        p.n = Int32(n); p.h = Int32(h); p.w = Int32(w); p.cin = Int32(cin); p.cout = Int32(cout)
        p.kh = Int32(k); p.kw = Int32(kw ?? k); p.stride_h = Int32(stride); p.stride_w = Int32(stride)
        p.pad_top = Int32(pad); p.pad_left = Int32(pad)
        p.pad_bottom = Int32(padBR ?? pad); p.pad_right = Int32(padBR ?? pad)
        p.dilation = Int32(dilation)
        p.in_pixel_stride = Int32(inStride); p.out_pixel_stride = Int32(outStride)
        p.in_zp = Int32(inZp); p.out_zp = Int32(outZp); p.relu = relu ? 1 : 0
        p.res_zp = Int32(resZp); p.res_mult = 0.61
        return p
    }
    var outH: Int { var p = params; return Int(qk_conv_out_h(&p)) }
    var outW: Int { var p = params; return Int(qk_conv_out_w(&p)) }
    var isx: Int { inStride == 0 ? cin : inStride }
    var osx: Int { outStride == 0 ? cout : outStride }
}

/// Random inputs for a case; multipliers chosen so outputs span the u8 range.
struct Int8ConvData {
    let c: Int8ConvCase
    var input: [UInt8], weights: [Int8], bias: [Int32], mult: [Float], residual: [UInt8]?
    let packed: OpaquePointer

    init(_ c: Int8ConvCase, seed: UInt64) {
        self.c = c
        var rng = Int8Rng(seed: seed)
        let kw = c.kw ?? c.k
        input = (0..<(c.n * c.h * c.w * c.isx)).map { _ in rng.u8() }
        weights = (0..<(c.cout * c.k * kw * c.cin)).map { _ in rng.s8() }
        bias = (0..<c.cout).map { _ in Int32(rng.int(-20000...20000)) }
        let kSize = Float(c.k * kw * c.cin)
        mult = (0..<c.cout).map { _ in rng.float(0.5, 4) / (kSize.squareRoot() * 128) }
        residual = c.residual ? (0..<(c.n * c.outH * c.outW * c.cout)).map { _ in rng.u8() } : nil
        packed = weights.withUnsafeBufferPointer {
            qk_int8_pack_weights($0.baseAddress, Int32(c.cout), Int32(c.k), Int32(kw), Int32(c.cin))!
        }
    }

    func free() { qk_int8_free_packed(packed) }

    /// u8 output (pixel stride osx, bytes beyond cout preset to 0xA5) from `tier` (nil = reference).
    func run(tier: Int32?) -> (status: Int32, out: [UInt8]) {
        var p = c.params
        var out = [UInt8](repeating: 0xA5, count: c.n * c.outH * c.outW * c.osx)
        let st: Int32 = input.withUnsafeBufferPointer { inp in
            bias.withUnsafeBufferPointer { b in
                mult.withUnsafeBufferPointer { m in
                    out.withUnsafeMutableBufferPointer { o in
                        if let r = residual {
                            return r.withUnsafeBufferPointer { rp in
                                if let t = tier { return qk_int8_conv2d_tier(t, &p, packed, inp.baseAddress, b.baseAddress, m.baseAddress, rp.baseAddress, o.baseAddress) }
                                return qk_int8_conv2d_ref(&p, packed, inp.baseAddress, b.baseAddress, m.baseAddress, rp.baseAddress, o.baseAddress)
                            }
                        }
                        if let t = tier { return qk_int8_conv2d_tier(t, &p, packed, inp.baseAddress, b.baseAddress, m.baseAddress, nil, o.baseAddress) }
                        return qk_int8_conv2d_ref(&p, packed, inp.baseAddress, b.baseAddress, m.baseAddress, nil, o.baseAddress)
                    }
                }
            }
        }
        return (st, out)
    }

    /// Float output (classifier variant) from `tier` (nil = reference).
    func runF32(tier: Int32?) -> (status: Int32, out: [Float]) {
        var p = c.params
        var out = [Float](repeating: -7, count: c.n * c.outH * c.outW * c.osx)
        let fb = bias.map { Float($0) * 0.001 }
        let st: Int32 = input.withUnsafeBufferPointer { inp in
            mult.withUnsafeBufferPointer { m in
                fb.withUnsafeBufferPointer { b in
                    out.withUnsafeMutableBufferPointer { o in
                        if let t = tier { return qk_int8_conv2d_f32out_tier(t, &p, packed, inp.baseAddress, m.baseAddress, b.baseAddress, o.baseAddress) }
                        return qk_int8_conv2d_f32out_ref(&p, packed, inp.baseAddress, m.baseAddress, b.baseAddress, o.baseAddress)
                    }
                }
            }
        }
        return (st, out)
    }
}

/// The odd shapes every tier is held to (channels 1, 3, 7, 17, 63, 129; 1x1 up to 97x61).
let int8ConvCases: [Int8ConvCase] = [
    Int8ConvCase(h: 37, w: 29, cin: 1, cout: 32, k: 7, stride: 2, pad: 3, inZp: 121),            // stem
    Int8ConvCase(h: 13, w: 11, cin: 3, cout: 17, k: 3, stride: 2, pad: 1, outZp: 7, relu: true),
    Int8ConvCase(h: 1, w: 1, cin: 7, cout: 7, k: 3, stride: 1, pad: 1, inZp: 3, outZp: 100),
    Int8ConvCase(h: 1, w: 1, cin: 129, cout: 3, k: 1, stride: 1, pad: 0),
    Int8ConvCase(h: 23, w: 19, cin: 17, cout: 63, k: 3, stride: 1, pad: 1, relu: true, residual: true, resZp: 9),
    Int8ConvCase(h: 9, w: 13, cin: 63, cout: 129, k: 1, stride: 1, pad: 0, inZp: 200, outZp: 128, residual: true, resZp: 128),
    Int8ConvCase(h: 11, w: 7, cin: 129, cout: 17, k: 3, stride: 2, pad: 1, relu: true),
    Int8ConvCase(h: 16, w: 15, cin: 17, cout: 33, k: 1, stride: 2, pad: 0, outZp: 3),
    Int8ConvCase(h: 12, w: 10, cin: 96, cout: 48, k: 3, stride: 2, pad: 0, padBR: 1, inZp: 1),
    Int8ConvCase(h: 14, w: 9, cin: 7, cout: 17, k: 3, stride: 1, pad: 2, dilation: 2, relu: true),
    Int8ConvCase(h: 6, w: 5, cin: 256, cout: 16, k: 3, stride: 1, pad: 1),                        // large K
    Int8ConvCase(h: 97, w: 61, cin: 32, cout: 32, k: 3, stride: 1, pad: 1, relu: true, residual: true),
    Int8ConvCase(n: 2, h: 10, w: 33, cin: 64, cout: 64, k: 3, stride: 1, pad: 1, outZp: 5, relu: true),
    Int8ConvCase(h: 8, w: 40, cin: 64, cout: 48, k: 3, kw: 1, stride: 1, pad: 0, inStride: 80, outStride: 100),
    Int8ConvCase(h: 21, w: 18, cin: 3, cout: 20, k: 5, stride: 3, pad: 2, inZp: 255, outZp: 255, relu: true),
    // one block of output channels, stride-1 3x3 (the tap-sharing AVX-512 kernel)
    Int8ConvCase(h: 7, w: 53, cin: 64, cout: 16, k: 3, stride: 1, pad: 1, inZp: 2, outZp: 1, relu: true, residual: true, resZp: 4),
    Int8ConvCase(h: 5, w: 25, cin: 17, cout: 5, k: 3, stride: 1, pad: 0, outStride: 9),
    // AMX with < 64 channels: adjacent kx taps share one 64-byte K chunk
    Int8ConvCase(h: 9, w: 45, cin: 16, cout: 16, k: 3, stride: 1, pad: 1, inZp: 6, relu: true),
    Int8ConvCase(h: 6, w: 37, cin: 4, cout: 33, k: 5, stride: 1, pad: 2, outZp: 2, inStride: 7),
    Int8ConvCase(h: 5, w: 70, cin: 29, cout: 40, k: 3, stride: 1, pad: 1, inZp: 11, residual: true, resZp: 1),
    // few input channels: the kernels fold kw into the channel axis
    Int8ConvCase(h: 19, w: 23, cin: 2, cout: 35, k: 3, stride: 2, pad: 1, padBR: 0, inZp: 50, relu: true, residual: true, resZp: 3),
    Int8ConvCase(h: 15, w: 40, cin: 1, cout: 16, k: 3, stride: 1, pad: 2, dilation: 2, inZp: 9, outStride: 20),
    Int8ConvCase(h: 8, w: 9, cin: 1, cout: 8, k: 7, kw: 5, stride: 1, pad: 3, inStride: 3),
]
