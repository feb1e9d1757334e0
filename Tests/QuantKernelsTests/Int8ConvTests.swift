import Foundation
import QuantKernels
import Testing

@Suite("int8 convolution")
struct Int8ConvTests {
    static var supportedFastTiers: [Int32] {
        (1..<Int32(QK_TIER_COUNT.rawValue)).filter { qk_int8_tier_supported($0) != 0 }
    }

    /// The reference against a naive double-precision conv (so the oracle is not self-verified):
    /// at most one step apart (float vs double rounding at half-way points), nearly all equal.
    @Test func referenceMatchesNaiveDoubleConv() {
        for (i, c) in int8ConvCases.enumerated() where c.n * c.outH * c.outW * c.cout * c.cin * c.k * c.k < 3_000_000 {
            let d = Int8ConvData(c, seed: UInt64(100 + i))
            defer { d.free() }
            let (st, ref) = d.run(tier: nil)
            #expect(st == 0, "\(c)")
            let naive = naiveConv(d)
            var maxDiff = 0, differing = 0
            for (pix, row) in naive.enumerated() {
                for (ch, v) in row.enumerated() {
                    let diff = abs(Int(ref[pix * c.osx + ch]) - v)
                    maxDiff = max(maxDiff, diff)
                    if diff != 0 { differing += 1 }
                }
            }
            #expect(maxDiff <= 1, "\(c): max diff \(maxDiff)")
            #expect(differing * 1000 <= naive.count * c.cout, "\(c): \(differing) values differ")
            // Channel-slice outputs leave the rest of each pixel alone.
            if c.osx > c.cout { #expect(ref[c.cout] == 0xA5, "\(c)") }
        }
    }

    /// Float-output variant of the reference against the same double-precision sums.
    @Test func referenceFloatOutputMatchesNaive() {
        let c = Int8ConvCase(h: 9, w: 7, cin: 17, cout: 10, k: 3, stride: 2, pad: 1, inZp: 37)
        let d = Int8ConvData(c, seed: 7)
        defer { d.free() }
        let (st, out) = d.runF32(tier: nil)
        #expect(st == 0)
        let acc = naiveAcc(d)
        for (pix, row) in acc.enumerated() {
            for (ch, a) in row.enumerated() {
                let want = a * Double(d.mult[ch]) + Double(d.bias[ch]) * 0.001
                #expect(abs(Double(out[pix * c.cout + ch]) - want) <= 1e-4 * max(1, abs(want)), "pix \(pix) ch \(ch)")
            }
        }
    }

    /// Every tier this CPU supports gives the reference's bits on every case, 1 and 2 threads.
    @Test(arguments: [1, 2]) func everyTierEqualsReferenceBitForBit(threads: Int) {
        let saved = qk_get_num_threads()
        qk_set_num_threads(Int32(threads))
        defer { qk_set_num_threads(saved) }
        for (i, c) in int8ConvCases.enumerated() {
            let d = Int8ConvData(c, seed: UInt64(200 + i))
            defer { d.free() }
            let ref = d.run(tier: nil)
            let refF = d.runF32(tier: nil)
            #expect(ref.status == 0)
            for t in Self.supportedFastTiers {
                let got = d.run(tier: t)
                #expect(got.status == 0)
                let bad = zip(got.out, ref.out).filter { $0 != $1 }.count
                #expect(bad == 0, "tier \(String(cString: qk_int8_tier_name(t))) \(c): \(bad) bytes differ")
                let gotF = d.runF32(tier: t)
                let badF = zip(gotF.out, refF.out).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(badF == 0, "tier \(String(cString: qk_int8_tier_name(t))) f32 \(c): \(badF) values differ")
            }
        }
    }

    @Test func forcingATierRespectsTheCPU() {
        let before = qk_int8_active_tier()
        defer { _ = qk_int8_force_tier(before) }
        for t in 0..<Int32(QK_TIER_COUNT.rawValue) {
            let st = qk_int8_force_tier(t)
            if qk_int8_tier_supported(t) != 0 {
                #expect(st == 0)
                #expect(qk_int8_active_tier() == t)
            } else {
                #expect(st == QK_ERR_UNSUPPORTED.rawValue)
            }
        }
        #expect(qk_int8_force_tier(42) == QK_ERR_ARG.rawValue)
        #expect(qk_int8_tier_supported(Int32(QK_TIER_REF.rawValue)) == 1)
    }

    @Test func badArgumentsAreRejected() {
        let c = Int8ConvCase(h: 5, w: 5, cin: 4, cout: 4, k: 3, stride: 1, pad: 1)
        let d = Int8ConvData(c, seed: 1)
        defer { d.free() }
        var p = c.params
        var out = [UInt8](repeating: 0, count: 100)
        p.cin = 5  // does not match the packed weights
        #expect(qk_int8_conv2d(&p, d.packed, d.input, d.bias, d.mult, nil, &out) == QK_ERR_ARG.rawValue)
        p = c.params; p.h = 1; p.pad_top = 0; p.pad_bottom = 0  // kernel taller than the padded image
        #expect(qk_int8_conv2d(&p, d.packed, d.input, d.bias, d.mult, nil, &out) == QK_ERR_ARG.rawValue)
        p = c.params; p.in_zp = 256
        #expect(qk_int8_conv2d(&p, d.packed, d.input, d.bias, d.mult, nil, &out) == QK_ERR_ARG.rawValue)
        #expect(qk_int8_pack_weights(nil, 4, 3, 3, 4) == nil)
    }
}

/// Naive conv in Double: raw sums (x - in_zp) * w with padding meaning "value in_zp".
func naiveAcc(_ d: Int8ConvData) -> [[Double]] {
    let c = d.c, kw = c.kw ?? c.k, oh = c.outH, ow = c.outW
    var res = [[Double]]()
    for b in 0..<c.n { for oy in 0..<oh { for ox in 0..<ow {
        var row = [Double](repeating: 0, count: c.cout)
        for o in 0..<c.cout {
            var acc = 0.0
            for ky in 0..<c.k { for kx in 0..<kw {
                let iy = oy * c.stride - c.pad + ky * c.dilation, ix = ox * c.stride - c.pad + kx * c.dilation
                guard iy >= 0, iy < c.h, ix >= 0, ix < c.w else { continue }
                let base = ((b * c.h + iy) * c.w + ix) * c.isx, wb = ((o * c.k + ky) * kw + kx) * c.cin
                for i in 0..<c.cin { acc += Double(Int(d.input[base + i]) - c.inZp) * Double(d.weights[wb + i]) }
            } }
            row[o] = acc
        }
        res.append(row)
    } } }
    return res
}

/// Naive quantized output in Double with round-half-even.
func naiveConv(_ d: Int8ConvData) -> [[Int]] {
    let c = d.c
    return naiveAcc(d).enumerated().map { pix, row in
        row.enumerated().map { ch, acc in
            var v = (acc + Double(d.bias[ch])) * Double(d.mult[ch])
            if let r = d.residual { v += Double(Int(r[pix * c.cout + ch]) - c.resZp) * 0.61 }
            v += Double(c.outZp)
            v = min(max(v, c.relu ? Double(c.outZp) : 0), 255)
            return Int(v.rounded(.toNearestOrEven))
        }
    }
}
