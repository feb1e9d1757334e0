import QuantKernels
import Testing

/// The element-wise ops split large tensors over the int8 pool: on tensors above the split
/// threshold (256 KiB touched) they must still equal naive Swift references, whatever the thread
/// count. (The small cases in `Int8OpsTests` run on the calling thread alone.)
@Suite("int8 ops split over the pool")
struct Int8ParallelOpsTests {
    static let threadCounts: [Int32] = [1, 2, 3]

    /// Positions where two equally long buffers differ (the count, and the first one).
    func mismatches<T: Equatable>(_ a: [T], _ b: [T]) -> String? {
        guard a.count == b.count else { return "lengths \(a.count) vs \(b.count)" }
        let bad = a.indices.filter { a[$0] != b[$0] }
        return bad.isEmpty ? nil : "\(bad.count) of \(a.count) differ, first at \(bad[0]): \(a[bad[0]]) vs \(b[bad[0]])"
    }

    /// Runs body once per thread count, restoring the process-wide count afterwards.
    func forEachThreadCount(_ body: (Int32) -> Void) {
        let saved = qk_get_num_threads()
        defer { qk_set_num_threads(saved) }
        for t in Self.threadCounts {
            qk_set_num_threads(t)
            body(t)
        }
    }

    @Test func maxPoolOnALargeTensor() {
        let (n, h, w, c) = (2, 97, 64, 24)  // 298 KB in
        var rng = Int8Rng(seed: 11)
        let x = (0..<(n * h * w * c)).map { _ in rng.u8() }
        let oh = (h + 2 - 3) / 2 + 1, ow = (w + 2 - 3) / 2 + 1
        var ref = [UInt8](repeating: 0, count: n * oh * ow * c)
        for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow { for ch in 0..<c {
            var m: UInt8 = 0
            for ky in 0..<3 { for kx in 0..<3 {
                let iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx
                if iy >= 0, iy < h, ix >= 0, ix < w { m = max(m, x[((b * h + iy) * w + ix) * c + ch]) }
            } }
            ref[((b * oh + oy) * ow + ox) * c + ch] = m
        } } } }
        forEachThreadCount { t in
            var out = [UInt8](repeating: 0xAA, count: ref.count)
            #expect(qk_u8_maxpool2d(x, Int32(n), Int32(h), Int32(w), Int32(c), 3, 2, 1, &out) == 0)
            #expect(mismatches(out, ref) == nil, "threads \(t)")
        }
    }

    @Test func nearestUpsampleOnALargeTensor() {
        let (h, w, c, osx) = (45, 40, 40, 48)  // 288 KB out
        var rng = Int8Rng(seed: 12)
        let x = (0..<(h * w * c)).map { _ in rng.u8() }
        var ref = [UInt8](repeating: 0xEE, count: 4 * h * w * osx)
        for y in 0..<(2 * h) { for xx in 0..<(2 * w) { for ch in 0..<c {
            ref[(y * 2 * w + xx) * osx + ch] = x[((y / 2) * w + xx / 2) * c + ch]
        } } }
        forEachThreadCount { t in
            var out = [UInt8](repeating: 0xEE, count: ref.count)
            #expect(qk_u8_upsample2x_nearest(x, 1, Int32(h), Int32(w), Int32(c), 0, &out, Int32(osx)) == 0)
            #expect(mismatches(out, ref) == nil, "threads \(t)")
        }
    }

    /// Requantizing and plain-copy paths into a channel slice, the other channels untouched.
    @Test(arguments: [(Float(0.37), 17, 4), (Float(1), 9, 9)])
    func requantizeOnALargeTensor(mult: Float, inZp: Int, outZp: Int) {
        let (npix, c, osx, off) = (9000, 40, 56, 8)  // 360 KB in
        var rng = Int8Rng(seed: 13)
        let x = (0..<(npix * c)).map { _ in rng.u8() }
        var ref = [UInt8](repeating: 0x5A, count: npix * osx)
        for p in 0..<npix { for ch in 0..<c {
            // In Float, as the kernel's contract says: product, then sum, each rounded.
            let product = Float(Int(x[p * c + ch]) - inZp) * mult
            let v = min(max(product + Float(outZp), 0), 255)
            ref[p * osx + off + ch] = UInt8(v.rounded(.toNearestOrEven))
        } }
        forEachThreadCount { t in
            var out = [UInt8](repeating: 0x5A, count: ref.count)
            #expect(qk_u8_requantize_into(x, npix, Int32(c), 0, Int32(inZp), mult, Int32(outZp), &out, Int32(osx), Int32(off)) == 0)
            #expect(mismatches(out, ref) == nil, "threads \(t), mult \(mult)")
        }
    }

    /// Argmax: ties go to the lower id, a NaN never wins; large enough to be split.
    @Test func argmaxMatchesNaive() {
        let (pixels, k) = (20_000, 5)  // 400 KB of logits
        var rng = Int8Rng(seed: 14)
        // Few distinct values, so ties are common.
        var logits = (0..<(pixels * k)).map { _ in Float(Int(rng.next() % 4)) - 1.5 }
        logits[3 * k + 2] = .nan
        logits[7 * k] = .nan
        logits[11 * k + 4] = .infinity
        var ref = [UInt8](repeating: 0, count: pixels)
        for p in 0..<pixels {
            var best = 0
            for c in 1..<k where logits[p * k + c] > logits[p * k + best] { best = c }
            ref[p] = UInt8(best)
        }
        #expect(ref[11] == 4)
        forEachThreadCount { t in
            var out = [UInt8](repeating: 0xFF, count: pixels)
            #expect(qk_f32_argmax(logits, pixels, Int32(k), &out) == 0)
            #expect(mismatches(out, ref) == nil, "threads \(t)")
        }
        var one = [UInt8](repeating: 9, count: 1)
        #expect(qk_f32_argmax(logits, 1, 0, &one) == QK_ERR_ARG.rawValue)
        #expect(qk_f32_argmax(logits, 1, 257, &one) == QK_ERR_ARG.rawValue)
        #expect(one == [9])
    }
}
