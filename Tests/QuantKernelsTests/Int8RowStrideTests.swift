import QuantKernels
import Testing

/// Row strides: a conv (and a max pool) reading a window of a wider tensor in place must give the
/// bits the same op gives on a contiguous copy of that window, in every tier.
@Suite("int8 row strides")
struct Int8RowStrideTests {
    /// `rows` rows of `rowBytes` bytes spread `rowBytes + extra` apart; the gaps hold random bytes
    /// that the kernels must never read into a result.
    static func spread(_ dense: [UInt8], rows: Int, rowBytes: Int, extra: Int, rng: inout Int8Rng) -> [UInt8] {
        var out = (0..<(rows * (rowBytes + extra))).map { _ in rng.u8() }
        for r in 0..<rows {
            for i in 0..<rowBytes { out[r * (rowBytes + extra) + i] = dense[r * rowBytes + i] }
        }
        return out
    }

    static var tiers: [Int32] {
        (0..<QK_TIER_COUNT.rawValue).filter { qk_int8_tier_supported($0) != 0 }
    }

    @Test(arguments: int8ConvCases.indices)
    func convReadsInputAndResidualWindowsInPlace(index: Int) {
        let c = int8ConvCases[index]
        let data = Int8ConvData(c, seed: 900 + UInt64(index))
        defer { data.free() }
        let expected = data.run(tier: nil)
        #expect(expected.status == 0)
        var rng = Int8Rng(seed: 77 + UInt64(index))
        let inRow = c.w * c.isx, inExtra = 1 + index % 5 * 13
        let input = Self.spread(data.input, rows: c.n * c.h, rowBytes: inRow, extra: inExtra, rng: &rng)
        let resRow = c.outW * c.cout, resExtra = 3 + index % 3 * 17
        let residual = data.residual.map { Self.spread($0, rows: c.n * c.outH, rowBytes: resRow, extra: resExtra, rng: &rng) }
        var p = c.params
        p.in_row_stride = inRow + inExtra
        if residual != nil { p.res_row_stride = resRow + resExtra }
        for tier in Self.tiers {
            var out = [UInt8](repeating: 0xA5, count: c.n * c.outH * c.outW * c.osx)
            let st = input.withUnsafeBufferPointer { inp in
                data.bias.withUnsafeBufferPointer { b in
                    data.mult.withUnsafeBufferPointer { m in
                        out.withUnsafeMutableBufferPointer { o in
                            guard let r = residual else {
                                return qk_int8_conv2d_tier(tier, &p, data.packed, inp.baseAddress, b.baseAddress, m.baseAddress, nil, o.baseAddress)
                            }
                            return r.withUnsafeBufferPointer {
                                qk_int8_conv2d_tier(tier, &p, data.packed, inp.baseAddress, b.baseAddress, m.baseAddress, $0.baseAddress, o.baseAddress)
                            }
                        }
                    }
                }
            }
            #expect(st == 0, "\(c) tier \(tier)")
            let wrong = zip(out, expected.out).filter { $0 != $1 }.count // a count, not two long arrays
            #expect(wrong == 0, "\(c) tier \(String(cString: qk_int8_tier_name(tier))): \(wrong) of \(out.count) bytes differ")
        }
    }

    @Test func floatOutputReadsAnInputWindowInPlace() {
        let c = Int8ConvCase(h: 9, w: 21, cin: 64, cout: 5, k: 1, stride: 1, pad: 0, inZp: 17)
        let data = Int8ConvData(c, seed: 31)
        defer { data.free() }
        let expected = data.runF32(tier: nil)
        var rng = Int8Rng(seed: 32)
        let input = Self.spread(data.input, rows: c.h, rowBytes: c.w * c.cin, extra: 64 * 7, rng: &rng)
        var p = c.params
        p.in_row_stride = c.w * c.cin + 64 * 7
        let fb = data.bias.map { Float($0) * 0.001 }
        for tier in Self.tiers {
            var out = [Float](repeating: -7, count: c.outH * c.outW * c.cout)
            let st = qk_int8_conv2d_f32out_tier(tier, &p, data.packed, input, data.mult, fb, &out)
            #expect(st == 0)
            #expect(zip(out, expected.out).filter { $0 != $1 }.isEmpty, "tier \(tier)")
        }
    }

    @Test func rowStridesShorterThanARowAreRefused() {
        let c = Int8ConvCase(h: 4, w: 6, cin: 8, cout: 8, k: 3, stride: 1, pad: 1, residual: true)
        let data = Int8ConvData(c, seed: 5)
        defer { data.free() }
        var out = [UInt8](repeating: 0, count: c.outH * c.outW * c.cout)
        var p = c.params
        p.in_row_stride = c.w * c.cin - 1
        #expect(qk_int8_conv2d_ref(&p, data.packed, data.input, data.bias, data.mult, data.residual, &out) == QK_ERR_ARG.rawValue)
        p = c.params
        p.res_row_stride = c.outW * c.cout - 1
        #expect(qk_int8_conv2d_ref(&p, data.packed, data.input, data.bias, data.mult, data.residual, &out) == QK_ERR_ARG.rawValue)
        p = c.params
        p.in_row_stride = c.w * c.cin
        p.res_row_stride = c.outW * c.cout
        #expect(qk_int8_conv2d_ref(&p, data.packed, data.input, data.bias, data.mult, data.residual, &out) == 0)
    }

    /// A 3×3 / 2 max pool of windows at every position of a tensor (edges padded only where the
    /// window meets the tensor's edge) against a naive pool of the whole tensor, cropped.
    @Test(arguments: [(17, 23, 5), (8, 8, 64), (31, 9, 3)])
    func maxPoolWindowMatchesTheWholeTensorPool(h: Int, w: Int, c: Int) {
        var rng = Int8Rng(seed: UInt64(h * 100 + w))
        let x = (0..<(h * w * c)).map { _ in rng.u8() }
        let oh = (h + 2 - 3) / 2 + 1, ow = (w + 2 - 3) / 2 + 1
        var whole = [UInt8](repeating: 0, count: oh * ow * c)
        #expect(qk_u8_maxpool2d(x, 1, Int32(h), Int32(w), Int32(c), 3, 2, 1, &whole) == 0)
        for (oy0, oy1, ox0, ox1) in [(0, oh, 0, ow), (0, 2, 1, 3), (1, oh, 0, ow - 1), (oh - 1, oh, ow - 1, ow), (1, 2, 1, 2)] {
            guard oy1 > oy0, ox1 > ox0 else { continue }
            // The input window those outputs read, clipped to the tensor.
            // (inclusive last rows/columns)
            let y0 = oy0 * 2 - 1, y1 = (oy1 - 1) * 2 + 1, x0 = ox0 * 2 - 1, x1 = (ox1 - 1) * 2 + 1
            let cy0 = max(y0, 0), cy1 = min(y1, h - 1), cx0 = max(x0, 0), cx1 = min(x1, w - 1)
            var out = [UInt8](repeating: 0xEE, count: (oy1 - oy0) * (ox1 - ox0) * c)
            let st = x.withUnsafeBufferPointer {
                qk_u8_maxpool2d_window($0.baseAddress! + (cy0 * w + cx0) * c, w * c, Int32(cy1 - cy0 + 1), Int32(cx1 - cx0 + 1),
                                       Int32(c), 3, 2, Int32(cy0 - y0), Int32(cx0 - x0), Int32(oy1 - oy0), Int32(ox1 - ox0), &out)
            }
            #expect(st == 0)
            for oy in oy0..<oy1 { for ox in ox0..<ox1 { for ch in 0..<c {
                #expect(out[((oy - oy0) * (ox1 - ox0) + ox - ox0) * c + ch] == whole[(oy * ow + ox) * c + ch], "y\(oy) x\(ox) c\(ch)")
            } } }
        }
    }

    @Test func maxPoolWindowRefusesOutputsWithNoTapInside() {
        let x = [UInt8](repeating: 1, count: 4 * 4)
        var out = [UInt8](repeating: 0, count: 16)
        // 3 outputs at stride 2 from a 4-wide window: the third starts at column 4 - 0 = 4, outside.
        #expect(qk_u8_maxpool2d_window(x, 4, 4, 4, 1, 3, 2, 0, 0, 1, 3, &out) == QK_ERR_ARG.rawValue)
        #expect(qk_u8_maxpool2d_window(x, 3, 4, 4, 1, 3, 2, 0, 0, 1, 1, &out) == QK_ERR_ARG.rawValue) // row stride < w·c
        #expect(qk_u8_maxpool2d_window(x, 4, 4, 4, 1, 3, 2, 0, 0, 2, 2, &out) == 0)
    }
}
