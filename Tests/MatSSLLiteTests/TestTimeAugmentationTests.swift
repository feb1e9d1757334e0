import Foundation
@testable import MatSSLLite
import Testing

@Suite("Test-time augmentation")
struct TestTimeAugmentationTests {
    @Test func transformsMatchTheirDefinitions() {
        // [[1, 2, 3], [4, 5, 6]] (2×3)
        let a: [Int] = [1, 2, 3, 4, 5, 6]
        func view(_ t: DihedralTransform) -> [Int] { a.withUnsafeBufferPointer { t.apply($0, height: 2, width: 3) } }
        #expect(view(.identity) == a)
        #expect(view(.flipH) == [3, 2, 1, 6, 5, 4])
        #expect(view(.flipV) == [4, 5, 6, 1, 2, 3])
        #expect(view(.rot180) == [6, 5, 4, 3, 2, 1])
        #expect(view(.transpose) == [1, 4, 2, 5, 3, 6])
        #expect(view(.rot90) == [3, 6, 2, 5, 1, 4])       // numpy.rot90: counter-clockwise
        #expect(view(.rot270) == [4, 1, 5, 2, 6, 3])
        #expect(view(.antiTranspose) == [6, 3, 5, 2, 4, 1])
        for t in DihedralTransform.allCases {
            #expect(Set(view(t)) == Set(a), "\(t) is a permutation")
            let (h, w) = t.outputSize(height: 2, width: 3)
            #expect(h * w == 6 && (t.rawValue >= 4 ? h == 3 : h == 2))
        }
        #expect(TestTimeAugmentation.none.passes == 1 && TestTimeAugmentation.flips.passes == 4 && TestTimeAugmentation.d4.passes == 8)
    }

    /// The per-row line form of every symmetry equals its pixel-by-pixel definition.
    @Test func rowMapsMatchSource() {
        for t in DihedralTransform.allCases {
            for (h, w) in [(1, 1), (2, 3), (5, 4), (7, 7)] {
                let (th, tw) = t.outputSize(height: h, width: w)
                for ty in 0..<th {
                    let m = t.rowMap(ty, height: h, width: w)
                    #expect(abs(m.dy) + abs(m.dx) == 1, "\(t) \(h)×\(w)")
                    for tx in 0..<tw {
                        let s = t.source(ty, tx, height: h, width: w)
                        #expect(s.y == m.y0 + tx * m.dy && s.x == m.x0 + tx * m.dx, "\(t) \(h)×\(w) at \(ty),\(tx)")
                    }
                }
            }
        }
    }

    /// `TiledSegmenter.span` against a brute-force scan.
    @Test func spanMatchesBruteForce() {
        for step in -1...1 {
            for start in -6...9 {
                for size in 0...4 {
                    for count in 0...6 {
                        let inside = (0..<count).filter { start + $0 * step >= 0 && start + $0 * step < size }
                        let r = TiledSegmenter.span(start: start, step: step, size: size, count: count)
                        #expect(Array(r) == inside, "start \(start) step \(step) size \(size) count \(count)")
                    }
                }
            }
        }
    }

    /// The summed logits of a tile's core against a naive reference: every view's logits mapped back
    /// pixel by pixel with `source`, summed in view order, argmax with ties to the lower id.
    @Test(arguments: [TestTimeAugmentation.flips, .d4])
    func augmentedCoreMatchesNaiveSum(tta: TestTimeAugmentation) throws {
        let (_, model) = try makeTestInt8Model()
        let seg = TiledSegmenter(model: model, augmentation: tta)
        let th = 96, tw = 160, k = model.classNames.count
        let tile = makeTestImage(height: th, width: tw, seed: 44).array.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        let core = TiledSegmenter.CoreRegion(top: 13, left: 37, height: 50, width: 90)
        let got = try seg.augmentedCore(tile: tile, height: th, width: tw, core: core)
        var sum = [Float](repeating: 0, count: th * tw * k)
        for t in tta.transforms {
            let (vh, vw) = t.outputSize(height: th, width: tw)
            let view = tile.withUnsafeBufferPointer { t.apply($0, height: th, width: tw) }
            try view.withUnsafeBufferPointer { v in
                try seg.runner.run(tile: v, height: vh, width: vw) { row0, rows, logits in
                    for r in 0..<rows { for tx in 0..<vw {
                        let (y, x) = t.source(row0 + r, tx, height: th, width: tw)
                        for c in 0..<k { sum[(y * tw + x) * k + c] += logits[(r * vw + tx) * k + c] }
                    } }
                }
            }
        }
        var want = [UInt8]()
        for y in core.top..<(core.top + core.height) {
            for x in core.left..<(core.left + core.width) {
                let o = (y * tw + x) * k
                var best = 0
                for c in 1..<k where sum[o + c] > sum[o + best] { best = c }
                want.append(UInt8(best))
            }
        }
        expectVaried(want)
        #expect(got == want)
    }

    /// Tiling must stay exact with augmentation: every tile is transformed whole and its halo covers
    /// the receptive field on every side, so each core pixel sees what it sees in the whole image.
    @Test(arguments: [TestTimeAugmentation.flips, .d4])
    func tiledAugmentedEqualsWholeAugmented(tta: TestTimeAugmentation) throws {
        let (_, model) = try makeTestInt8Model()
        let h = 600, w = 700
        let image = grayImage(makeTestImage(height: h, width: w, seed: 31), height: h, width: w)
        let whole = TiledSegmenter(model: model, tilePixelBudget: 1 << 30, augmentation: tta)
        let reference = try whole.segment(image)
        expectVaried(reference.labels)
        let halo = model.info.halo
        let square = TiledSegmenter(model: model, tilePixelBudget: (64 + 2 * halo) * (64 + 2 * halo), augmentation: tta)
        #expect(square.plan(height: h, width: w).tiles > 4)
        #expect(try square.segment(image) == reference)
        let plain = try TiledSegmenter(model: model, tilePixelBudget: 1 << 30).segment(image)
        #expect(plain != reference, "averaging \(tta.passes) views changes some pixels of an untrained net")
    }

    /// int8 with augmentation against fp32 with the same augmentation (same views, same order).
    @Test func int8AugmentedAgreesWithFP32Augmented() throws {
        let (net, model) = try makeTestInt8Model()
        let h = 96, w = 128
        let image = makeTestImage(height: h, width: w, seed: 5)
        let fp = try Segmenter.predict(net, width: w, height: h, pixels: image.array, augmentation: .flips)
        let plainFP = try Segmenter.predict(net, width: w, height: h, pixels: image.array)
        #expect(fp != plainFP)
        let q = try TiledSegmenter(model: model, augmentation: .flips).segment(grayImage(image, height: h, width: w))
        expectVaried(fp)
        let agree = zip(fp, q.labels).filter { $0 == $1 }.count
        #expect(Double(agree) / Double(fp.count) > 0.9, "agreement \(agree) of \(fp.count)")
    }
}
