import Foundation
@testable import MatSSLLite
import Testing

/// Quantizes the small test net with one calibration image.
func makeTestInt8Model(method: CalibrationMethod = .percentile, seed: UInt64 = 7) throws -> (SegmentationNet, QuantizedModel) {
    let net = try makeTestSegmentationNet(seed: seed)
    var options = Quantizer.Options()
    options.method = method
    let provenance = QuantizationProvenance(method: method, percentile: options.percentile, calibrationImages: ["synthetic"],
                                            sourceCheckpoint: "test", sourceCheckpointSHA256: "", created: "now")
    let model = try Quantizer.quantize(net: net, calibration: [makeTestImage(height: 128, width: 160, seed: 11)],
                                       options: options, provenance: provenance)
    return (net, model)
}

func grayImage(_ t: Tensor, height: Int, width: Int) -> GrayImage {
    GrayImage(width: width, height: height, pixels: (0..<(height * width)).map { t[$0] })
}

/// Comparisons of label maps mean little if one class wins everywhere: require two classes ≥ 5 %.
func expectVaried(_ labels: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
    var hist = [Int](repeating: 0, count: 256)
    for l in labels { hist[Int(l)] += 1 }
    let big = hist.filter { $0 * 20 >= labels.count }.count
    #expect(big >= 2, "label histogram \(hist.prefix(8)) is nearly constant", sourceLocation: sourceLocation)
}

@Suite("Int8 inference")
struct Int8InferenceTests {
    @Test func int8AgreesWithFP32OnMostPixels() throws {
        let (net, model) = try makeTestInt8Model()
        let image = makeTestImage(height: 96, width: 128, seed: 5)
        // fp32 labels from the network itself.
        let fp = try Segmenter.predict(net, width: 128, height: 96, pixels: image.array)
        let q = try TiledSegmenter(model: model).segment(grayImage(image, height: 96, width: 128))
        expectVaried(fp)
        let agree = zip(fp, q.labels).filter { $0 == $1 }.count
        // An untrained random net has small logit margins; a wrong layout or scale gives ~1/3.
        #expect(Double(agree) / Double(fp.count) > 0.9, "agreement \(agree) of \(fp.count)")
    }

    @Test func everyCalibrationMethodProducesAWorkingModel() throws {
        for method in CalibrationMethod.allCases {
            let (net, model) = try makeTestInt8Model(method: method)
            let image = makeTestImage(height: 64, width: 64, seed: 9)
            let fp = try Segmenter.predict(net, width: 64, height: 64, pixels: image.array)
            let q = try TiledSegmenter(model: model).segment(grayImage(image, height: 64, width: 64))
            let agree = zip(fp, q.labels).filter { $0 == $1 }.count
            // KL calibration from one small image clips hard (sparse histograms): a looser bar for it;
            // which method ships is decided by measured accuracy on labeled micrographs (docs/quantization.md).
            let bar = method == .entropy ? 0.65 : 0.9
            #expect(Double(agree) / Double(fp.count) > bar, "\(method): agreement \(agree) of \(fp.count)")
        }
    }

    @Test func tiledResultEqualsWholeImageExactly() throws {
        let (_, model) = try makeTestInt8Model()
        let h = 600, w = 700
        let image = grayImage(makeTestImage(height: h, width: w, seed: 21), height: h, width: w)
        let whole = TiledSegmenter(model: model, tilePixelBudget: 1 << 30)
        #expect(whole.plan(height: h, width: w).tiles == 1)
        let reference = try whole.segment(image)
        expectVaried(reference.labels)
        // A grid of tiles in both directions (the least-work plan under this budget: 2 × 11).
        let halo = model.info.halo
        let grid = TiledSegmenter(model: model, tilePixelBudget: (64 + 2 * halo) * (64 + 2 * halo))
        let plan = grid.plan(height: h, width: w)
        #expect(plan.coreWidth < 704 && plan.coreHeight < 608 && plan.tiles > 4, "plan \(plan)")
        #expect(try grid.segment(image) == reference)
        // Two tiles side by side, full height.
        let pair = TiledSegmenter(model: model, tilePixelBudget: (128 + 2 * halo) * (128 + 2 * halo))
        #expect(pair.plan(height: h, width: w).tiles == 2 && pair.plan(height: h, width: w).coreHeight == 608)
        #expect(try pair.segment(image) == reference)
    }

    @Test func fusingUpsampleIntoConcatChangesNoBit() throws {
        let (_, model) = try makeTestInt8Model()
        let h = 128, w = 160
        let image = makeTestImage(height: h, width: w, seed: 23)
        let tile = (0..<(h * w)).map { UInt8(max(0, min(255, (image[$0] * 255).rounded()))) }
        let runner = Int8GraphRunner(model: model)
        #expect(runner.fusedUpsamples.count == 4, "decoder upsamples followed by a concat: \(runner.fusedUpsamples)")
        func labels() throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: h * w)
            try tile.withUnsafeBufferPointer { t in
                try out.withUnsafeMutableBufferPointer { try runner.run(tile: t, height: h, width: w, labels: $0) }
            }
            return out
        }
        let fused = try labels()
        runner.fuseUpsampleConcat = false
        let plain = try labels()
        expectVaried(plain)
        #expect(fused == plain)
    }

    /// The exactness above depends on the halo covering the receptive field: a short halo shows seams.
    @Test func aTooSmallHaloChangesTheResult() throws {
        let (_, model) = try makeTestInt8Model()
        let h = 320, w = 320
        let image = grayImage(makeTestImage(height: h, width: w, seed: 22), height: h, width: w)
        let reference = try TiledSegmenter(model: model, tilePixelBudget: 1 << 30).segment(image)
        expectVaried(reference.labels)
        let short = TiledSegmenter(model: model, tilePixelBudget: (64 + 64) * (64 + 64), halo: 32)
        #expect(try short.segment(image) != reference)
    }
}
