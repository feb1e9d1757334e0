import QuantKernels
import Testing

/// u8 NHWC ops against naive Swift references written from their definitions.
@Suite("int8 element-wise and resampling ops")
struct Int8OpsTests {
    @Test(arguments: [(1, 7, 9, 3, 3, 2, 1), (2, 8, 8, 17, 3, 2, 1), (1, 1, 1, 5, 1, 1, 0), (1, 13, 6, 64, 2, 2, 0)])
    func maxPoolMatchesNaive(n: Int, h: Int, w: Int, c: Int, k: Int, s: Int, pad: Int) {
        var rng = Int8Rng(seed: 3)
        let x = (0..<(n * h * w * c)).map { _ in rng.u8() }
        let oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1
        var out = [UInt8](repeating: 0, count: n * oh * ow * c)
        #expect(qk_u8_maxpool2d(x, Int32(n), Int32(h), Int32(w), Int32(c), Int32(k), Int32(s), Int32(pad), &out) == 0)
        for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
            var m = -1
            for ky in 0..<k { for kx in 0..<k {
                let iy = oy * s - pad + ky, ix = ox * s - pad + kx
                if iy >= 0, iy < h, ix >= 0, ix < w { m = max(m, Int(x[((b * h + iy) * w + ix) * c + ch])) }
            } }
            #expect(Int(out[((b * oh + oy) * ow + ox) * c + ch]) == m)
        } } } }
    }

    @Test func nearestUpsampleIntoAChannelSlice() {
        let (h, w, c, osx) = (3, 5, 7, 10)
        var rng = Int8Rng(seed: 4)
        let x = (0..<(h * w * c)).map { _ in rng.u8() }
        var out = [UInt8](repeating: 0xEE, count: 4 * h * w * osx)
        #expect(qk_u8_upsample2x_nearest(x, 1, Int32(h), Int32(w), Int32(c), 0, &out, Int32(osx)) == 0)
        for y in 0..<(2 * h) { for xx in 0..<(2 * w) {
            for ch in 0..<c { #expect(out[(y * 2 * w + xx) * osx + ch] == x[((y / 2) * w + xx / 2) * c + ch]) }
            for ch in c..<osx { #expect(out[(y * 2 * w + xx) * osx + ch] == 0xEE) }
        } }
    }

    /// Bilinear 2x (half-pixel centres, clamped edges) against a Double evaluation of the same
    /// definition, rounded half up.
    @Test(arguments: [(1, 1, 3), (4, 5, 2), (7, 3, 17)])
    func bilinearUpsampleMatchesDoubleDefinition(h: Int, w: Int, c: Int) {
        var rng = Int8Rng(seed: 5)
        let x = (0..<(2 * h * w * c)).map { _ in rng.u8() }
        var out = [UInt8](repeating: 0, count: 2 * 4 * h * w * c)
        #expect(qk_u8_upsample2x_bilinear(x, 2, Int32(h), Int32(w), Int32(c), 0, &out, 0) == 0)
        func src(_ o: Int, _ n: Int) -> (Int, Int, Double) {
            let s = max(0, (Double(o) + 0.5) / 2 - 0.5)
            let i0 = min(Int(s), n - 1), i1 = min(i0 + 1, n - 1)
            return (i0, i1, s - Double(Int(s)))
        }
        for b in 0..<2 { for oy in 0..<(2 * h) { for ox in 0..<(2 * w) { for ch in 0..<c {
            let (y0, y1, fy) = src(oy, h), (x0, x1, fx) = src(ox, w)
            func at(_ y: Int, _ xx: Int) -> Double { Double(x[((b * h + y) * w + xx) * c + ch]) }
            let v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1))
            #expect(Int(out[((b * 2 * h + oy) * 2 * w + ox) * c + ch]) == Int((v + 0.5).rounded(.down)), "b\(b) y\(oy) x\(ox) c\(ch)")
        } } } }
    }

    /// Concat: two tensors with different scales land in one buffer, each requantized.
    @Test func concatRequantizesEachPart() {
        let npix = 37, ca = 5, cb = 3
        var rng = Int8Rng(seed: 6)
        let a = (0..<(npix * ca)).map { _ in rng.u8() }, b = (0..<(npix * cb)).map { _ in rng.u8() }
        var out = [UInt8](repeating: 0, count: npix * (ca + cb))
        #expect(qk_u8_requantize_into(a, npix, Int32(ca), 0, 0, 1, 0, &out, Int32(ca + cb), 0) == 0)
        #expect(qk_u8_requantize_into(b, npix, Int32(cb), 0, 17, 0.37, 4, &out, Int32(ca + cb), Int32(ca)) == 0)
        for p in 0..<npix {
            for ch in 0..<ca { #expect(out[p * (ca + cb) + ch] == a[p * ca + ch]) }
            for ch in 0..<cb {
                let v = min(max(Double(Int(b[p * cb + ch]) - 17) * Double(Float(0.37)) + 4, 0), 255)
                #expect(abs(Int(out[p * (ca + cb) + ca + ch]) - Int(v.rounded(.toNearestOrEven))) <= 0)
            }
        }
    }

    /// The image-row conversion equals the Swift expression it replaced in `TiledSegmenter`, on the
    /// rounding ties (k + 0.5)/255, just either side of them, every 16-bit level, out-of-range
    /// values, infinities and NaN.
    @Test func unitToU8MatchesSwiftRounding() {
        var xs: [Float] = [-1, -0, 0, 1, 2, .infinity, -.infinity, .nan, 0.5 / 255, 254.5 / 255, 1e-30]
        for k in 0..<256 {
            let tie = (Float(k) + 0.5) / 255
            xs += [tie, tie.nextUp, tie.nextDown, Float(k) / 255]
        }
        for v in stride(from: 0, through: 65535, by: 1) { xs.append(Float(v) / 65535) }
        let reference = xs.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        var out = [UInt8](repeating: 7, count: xs.count)
        qk_f32_unit_to_u8(xs, xs.count, &out)
        let bad = (0..<xs.count).filter { out[$0] != reference[$0] }
        #expect(bad.isEmpty, "first mismatch: \(bad.first.map { "x=\(xs[$0]) ours \(out[$0]) swift \(reference[$0])" } ?? "")")
    }

    /// The strided row accumulation equals a plain loop, with forward, backward and transposing
    /// steps (as the dihedral views need), empty rows, and over the pool (large) or not (small).
    @Test(arguments: [1, 2]) func addStridedRowsMatchesPlainLoop(threads: Int32) {
        let saved = qk_get_num_threads()
        defer { qk_set_num_threads(saved) }
        qk_set_num_threads(threads)
        for (side, k) in [(7, 3), (300, 5)] {
            // A side × side core of k-vectors; view rows are its rows (forward, backward) or columns.
            var dstOff = [Int](), dstStep = [Int](), srcOff = [Int](), count = [Int]()
            for r in 0..<side {
                switch r % 3 {
                case 0: dstOff.append(r * side * k); dstStep.append(k)                          // row r, left to right
                case 1: dstOff.append((r * side + side - 1) * k); dstStep.append(-k)            // row r, right to left
                default: dstOff.append(r * k); dstStep.append(side * k)                          // column r, top down
                }
                srcOff.append(r * side * k)
                count.append(r == 4 ? 0 : side)
            }
            var rng = SystemRandomNumberGenerator()
            let src = (0..<(side * side * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            let start = (0..<(side * side * k)).map { _ in Float.random(in: -1...1, using: &rng) }
            // Columns cross rows here, so the row rows and the column rows go in separate calls (the
            // kernel's contract: no two rows of one call share a destination), the plain loop likewise.
            var expected = start, got = start
            for group in [[0, 1], [2]] {
                let rows = (0..<side).filter { group.contains($0 % 3) }
                for r in rows {
                    for j in 0..<count[r] { for c in 0..<k { expected[dstOff[r] + j * dstStep[r] + c] += src[srcOff[r] + j * k + c] } }
                }
                qk_f32_add_strided_rows(&got, src, rows.map { dstOff[$0] }, rows.map { dstStep[$0] }, rows.map { srcOff[$0] },
                                        rows.map { count[$0] }, rows.count, Int32(k))
            }
            #expect(got == expected, "side \(side) k \(k) threads \(threads)")
        }
    }

    @Test func quantizeDequantizeRoundTrip() {
        let xs: [Float] = [-1, 0, 0.1, 0.5, 1.27, 3, 1000, -.infinity, .nan]
        var q = [UInt8](repeating: 0, count: xs.count)
        qk_f32_quantize_u8(xs, xs.count, 1 / 0.01, 100, &q)
        #expect(q == [0, 100, 110, 150, 227, 255, 255, 0, 100])
        var back = [Float](repeating: 0, count: q.count)
        qk_u8_dequantize(q, q.count, 0.01, 100, &back)
        #expect(abs(back[2] - 0.1) < 1e-6 && back[1] == 0 && abs(back[0] + 1) < 1e-6)
    }

    @Test func badArgumentsAreRejected() {
        var out = [UInt8](repeating: 0, count: 16)
        let x = [UInt8](repeating: 0, count: 16)
        #expect(qk_u8_maxpool2d(x, 1, 2, 2, 1, 3, 2, 0, &out) == QK_ERR_ARG.rawValue)
        #expect(qk_u8_upsample2x_nearest(x, 1, 2, 2, 4, 3, &out, 0) == QK_ERR_ARG.rawValue)
        #expect(qk_u8_requantize_into(x, 4, 2, 0, 300, 1, 0, &out, 4, 0) == QK_ERR_ARG.rawValue)
    }
}
