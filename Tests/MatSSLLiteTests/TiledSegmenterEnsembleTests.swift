import Foundation
@testable import MatSSLLite
import Testing

@Suite("Ensemble segmentation")
struct TiledSegmenterEnsembleTests {
    /// Each member's logits for `tile` (`[h, w, classes]`, h and w multiples of 32), one whole pass.
    func logits(_ model: QuantizedModel, tile: [UInt8], height h: Int, width w: Int) throws -> [Float] {
        let k = model.classNames.count
        var out = [Float](repeating: .nan, count: h * w * k)
        try tile.withUnsafeBufferPointer { t in
            try Int8GraphRunner(model: model).run(tile: t, height: h, width: w) { row0, rows, l in
                for i in 0..<(rows * w * k) { out[row0 * w * k + i] = l[i] }
            }
        }
        return out
    }

    func argmax(_ sum: [Float], classes k: Int) -> [UInt8] {
        (0..<(sum.count / k)).map { p in
            var best = 0
            for c in 1..<k where sum[p * k + c] > sum[p * k + best] { best = c }
            return UInt8(best)
        }
    }

    /// Two different nets: the ensemble's labels are the argmax of the sum of both members' logits
    /// (one pass each), and differ from either member's own labels.
    @Test func ensembleIsTheArgmaxOfTheSummedLogits() throws {
        let (_, a) = try makeTestInt8Model(seed: 7)
        let (_, b) = try makeTestInt8Model(seed: 9)
        let h = 96, w = 160, k = a.classNames.count
        let image = grayImage(makeTestImage(height: h, width: w, seed: 21), height: h, width: w)
        let tile = image.pixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }
        let la = try logits(a, tile: tile, height: h, width: w), lb = try logits(b, tile: tile, height: h, width: w)
        let want = argmax(zip(la, lb).map { $0 + $1 }, classes: k)
        expectVaried(want)
        let got = try TiledSegmenter(ensemble: [a, b], tilePixelBudget: 1 << 30).segment(image)
        #expect(got.labels == want)
        let onlyA = try TiledSegmenter(model: a, tilePixelBudget: 1 << 30).segment(image).labels
        let onlyB = try TiledSegmenter(model: b, tilePixelBudget: 1 << 30).segment(image).labels
        #expect(onlyA == argmax(la, classes: k) && onlyB == argmax(lb, classes: k))
        #expect(want != onlyA && want != onlyB, "the members disagree somewhere, so the sum decides")
    }

    /// Tiling stays exact for an ensemble with augmentation (the halo covers both members).
    @Test func tiledEnsembleEqualsWholeEnsemble() throws {
        let (_, a) = try makeTestInt8Model(seed: 7)
        let (_, b) = try makeTestInt8Model(seed: 9)
        let h = 600, w = 700
        let image = grayImage(makeTestImage(height: h, width: w, seed: 32), height: h, width: w)
        let whole = try TiledSegmenter(ensemble: [a, b], tilePixelBudget: 1 << 30, augmentation: .flips).segment(image)
        expectVaried(whole.labels)
        let halo = max(a.info.halo, b.info.halo)
        let tiled = try TiledSegmenter(ensemble: [a, b], tilePixelBudget: (64 + 2 * halo) * (64 + 2 * halo), augmentation: .flips)
        #expect(tiled.halo == halo && tiled.plan(height: h, width: w).tiles > 4)
        #expect(try tiled.segment(image) == whole)
    }

    @Test func membersMustShareTheirClasses() throws {
        let (_, a) = try makeTestInt8Model(seed: 7)
        var info = a.info
        info.config.classNames = ["x", "y", "z"]
        let renamed = try QuantizedModel(info: info, convs: a.convs)
        #expect(throws: ModelError.self) { try TiledSegmenter(ensemble: [a, renamed]) }
        #expect(throws: ModelError.self) { try TiledSegmenter(ensemble: []) }
        // …and their per-image intensity standardisation (one table re-maps the rows for all).
        var std = a.info
        std.config.standardizeIntensity = true
        let standardizing = try QuantizedModel(info: std, convs: a.convs)
        #expect { try TiledSegmenter(ensemble: [a, standardizing]) } throws: { "\($0)".contains("standardisation") }
        #expect(try TiledSegmenter(ensemble: [standardizing, standardizing]).standardization != nil)
    }
}
