import Foundation
@testable import MatSSLLite
import QuantKernels
import Testing

@Suite struct IntensityStandardizationTests {
    static let st = IntensityStandardization(targetMean: 0.42, targetStd: 0.17)

    /// 8-bit noise with a chosen mean and spread (clipped to 0…255).
    static func noise(count: Int, mean: Double, spread: Double, seed: UInt64) -> [UInt8] {
        var rng = RandomState(seed: seed)
        return (0..<count).map { _ in UInt8(max(0, min(255, (mean + spread * Double(rng.normal())).rounded()))) }
    }

    static func stats(_ px: [UInt8]) -> IntensityStandardization.Statistics {
        var s = IntensityStandardization.Statistics()
        s.add(px)
        return s
    }

    @Test func statisticsHaveTheKnownAnswer() {
        let s = Self.stats([0, 255, 0, 255])
        #expect(s.count == 4 && abs(s.mean - 0.5) < 1e-12 && abs(s.standardDeviation - 0.5) < 1e-12)
        let t = Self.stats([10, 20, 30])
        #expect(abs(t.mean - 20.0 / 255) < 1e-12)
        #expect(abs(t.standardDeviation - (200.0 / 3).squareRoot() / 255) < 1e-12)
        #expect(Self.stats([]).mean == 0 && Self.stats([]).standardDeviation == 0)
        // Floats take the int8 path's rounding: 0.5·255 = 127.5 → 128.
        var f = IntensityStandardization.Statistics()
        [Float(0.5), 1.0].withUnsafeBufferPointer { f.add(unit: $0) }
        #expect(abs(f.mean - (128.0 + 255) / 2 / 255) < 1e-12)
    }

    /// A dark low-contrast image and a bright high-contrast one both come out at the target mean and
    /// standard deviation (within 8-bit rounding; no clipping at these settings).
    @Test(arguments: [(60.0, 12.0), (150.0, 40.0), (100.0, 30.0)])
    func imagesComeOutAtTheTarget(_ c: (Double, Double)) {
        let px = Self.noise(count: 40_000, mean: c.0, spread: c.1, seed: 3)
        let out = Self.stats(Self.st.apply(px))
        #expect(abs(out.mean - 0.42) < 1.0 / 255, "mean \(out.mean * 255)")
        #expect(abs(out.standardDeviation - 0.17) < 1.0 / 255, "sd \(out.standardDeviation * 255)")
    }

    /// The point of it: the same micrograph recorded brighter and with more contrast (v → 1.4·v + 20)
    /// reaches the network (nearly) unchanged — every pixel within one grey level.
    @Test func brightnessAndContrastChangesAreRemoved() {
        let px = Self.noise(count: 20_000, mean: 80, spread: 20, seed: 5)
        let brighter = px.map { UInt8(min(255, (1.4 * Double($0) + 20).rounded())) }
        let a = Self.st.apply(px), b = Self.st.apply(brighter)
        let worst = zip(a, b).map { abs(Int($0) - Int($1)) }.max()!
        #expect(worst <= 1, "largest difference \(worst) grey levels")
        // …whereas without it they differ by tens of levels.
        #expect(zip(px, brighter).map { abs(Int($0) - Int($1)) }.max()! > 40)
    }

    /// A flat image has no spread to scale: everything maps to the target mean, no division blow-up.
    @Test func aFlatImageMapsToTheTargetMean() {
        let out = Self.st.apply([UInt8](repeating: 200, count: 100))
        #expect(Set(out) == [UInt8((0.42 * 255).rounded())])
        // A nearly flat one is stretched by at most targetStd / minimumStd.
        let near = Self.st.table(for: Self.stats([100, 101]))
        #expect(Int(near[101]) - Int(near[100]) <= Int((0.17 / IntensityStandardization.minimumStd).rounded(.up)))
    }

    @Test func onlyModelsThatAskForItStandardize() throws {
        var c = ModelConfig()
        #expect(IntensityStandardization(config: c) == nil)
        c.standardizeIntensity = true; c.mean = 0.4; c.std = 0.2
        #expect(IntensityStandardization(config: c) == IntensityStandardization(targetMean: 0.4, targetStd: 0.2))
        // Checkpoints written before the field existed load with it off.
        let old = c.json().replacingOccurrences(of: ",\"standardizeIntensity\":true", with: "")
        #expect(!old.contains("standardizeIntensity"))
        #expect(try ModelConfig.from(json: old).standardizeIntensity == false)
        #expect(try ModelConfig.from(json: c.json()).standardizeIntensity == true)
    }

    /// The small test int8 model, the same with `standardizeIntensity` on, and its standardisation.
    static func int8Twins() throws -> (QuantizedModel, QuantizedModel, IntensityStandardization) {
        let (_, plain) = try makeTestInt8Model()
        var info = plain.info
        info.config.standardizeIntensity = true
        let standardizing = try QuantizedModel(info: info, convs: plain.convs)
        return (plain, standardizing, try #require(IntensityStandardization(config: info.config)))
    }

    /// The flag only inserts the per-image table: an int8 model that standardises gives, bit for
    /// bit, the mask its twin without the flag gives on the already re-mapped image — held in
    /// memory, streamed from a PNG file (statistics from a first pass), and tiled.
    @Test func int8ModelsApplyTheTableOnEveryPath() throws {
        let (plain, standardizing, st) = try Self.int8Twins()
        // A dark, flat image: the table changes it a lot.
        let (h, w) = (96, 128)
        let t = makeTestImage(height: h, width: w, seed: 5)
        let dark = GrayImage(width: w, height: h, pixels: (0..<(h * w)).map { 0.15 + 0.3 * t[$0] })
        let mapped = GrayImage(width: w, height: h, pixels: st.apply(unit: dark.pixels))
        let expected = try TiledSegmenter(model: plain).segment(mapped)
        expectVaried(expected.labels)
        let unmapped = try TiledSegmenter(model: plain).segment(dark)
        #expect(unmapped.labels != expected.labels, "the test image must be changed by the table")

        #expect(try TiledSegmenter(model: standardizing).segment(dark).labels == expected.labels)
        // Tiled (an image larger than one tile; the statistics are the whole image's, not a tile's).
        // Full-width bands of 128 rows, the image taller than one band with its halo.
        let halo = standardizing.info.halo, bw = 128, bh = 2 * halo + 256
        let big = makeTestImage(height: bh, width: bw, seed: 6)
        let bigDark = GrayImage(width: bw, height: bh, pixels: (0..<(bh * bw)).map { 0.15 + 0.3 * big[$0] })
        let tiled = TiledSegmenter(model: standardizing, tilePixelBudget: bw * (2 * halo + 128))
        #expect(tiled.plan(height: bh, width: bw).tiles > 1)
        let bigMapped = GrayImage(width: bw, height: bh, pixels: st.apply(unit: bigDark.pixels))
        #expect(try tiled.segment(bigDark).labels == TiledSegmenter(model: plain).segment(bigMapped).labels)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("std-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try PNGWriter.writeGray8(dark, to: dir + "/dark.png")
        let reader = try ImageDecoder.decodeRows(path: dir + "/dark.png")
        #expect(try TiledSegmenter(model: standardizing).segment(reader: reader).labels == expected.labels)
        // Rows without the image's statistics cannot be standardised: a clear error, not a guess.
        #expect { try TiledSegmenter(model: standardizing).segment(height: h, width: w) { _ in } }
            throws: { "\($0)".contains("standardises intensities") }
    }

    /// An SEM data bar (black panel with white text at the bottom) stays out of the statistics when
    /// it is cut off before segmentation (as the agent's `DataBarSegmenter` does), on the in-memory
    /// and the streamed path (`segment(reader:rows:)`, which never reads the bar) alike.
    @Test func dataBarRowsStayOutOfTheStatistics() throws {
        let (plain, standardizing, st) = try Self.int8Twins()
        let (h, w, bar) = (96, 128, 16)
        let t = makeTestImage(height: h, width: w, seed: 5)
        let px: [Float] = (0..<(h * w)).map { i in
            i / w < h - bar ? 0.15 + 0.3 * t[i] : ((i % w) % 8 < 2 ? 1 : 0)
        }
        let image = GrayImage(width: w, height: h, pixels: px)
        var top = IntensityStandardization.Statistics()
        px.withUnsafeBufferPointer { top.add(unit: UnsafeBufferPointer(rebasing: $0[0..<((h - bar) * w)])) }
        var all = IntensityStandardization.Statistics()
        px.withUnsafeBufferPointer { all.add(unit: $0) }
        #expect(st.table(for: top) != st.table(for: all), "the bar must change the statistics")
        let lut = st.table(for: top)
        var u8 = [UInt8](repeating: 0, count: px.count)
        qk_f32_unit_to_u8(px, px.count, &u8)
        let mapped = GrayImage(width: w, height: h, pixels: u8.map { Float(lut[Int($0)]) / 255 })
        let expected = try TiledSegmenter(model: plain).segment(try #require(mapped.droppingBottomRows(bar)))

        let tiled = TiledSegmenter(model: standardizing)
        #expect(try tiled.segment(try #require(image.droppingBottomRows(bar))).labels == expected.labels)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("std-bar-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try PNGWriter.writeGray8(image, to: dir + "/bar.png")
        #expect(try tiled.segment(reader: ImageDecoder.decodeRows(path: dir + "/bar.png"), rows: h - bar).labels == expected.labels)
        // Not cut off, the bar takes part, and the rows above it come out differently.
        #expect(Array(try tiled.segment(image).labels[..<((h - bar) * w)]) != expected.labels)
    }

    /// fp32 inference (and so calibration and `evaluate`) re-maps the same way.
    @Test func fp32InferenceAppliesTheTable() throws {
        let plain = try makeTestSegmentationNet(seed: 7)
        var cfg = plain.config
        cfg.standardizeIntensity = true
        let standardizing = try SegmentationNet(config: cfg, seed: 7)
        for e in plain.store.entries {
            standardizing.store.pointer(try #require(standardizing.store.entry(e.name))).update(from: plain.store.pointer(e), count: e.count)
        }
        standardizing.training = false
        let (h, w) = (64, 96)
        let t = makeTestImage(height: h, width: w, seed: 9)
        let px = (0..<(h * w)).map { 0.6 + 0.3 * t[$0] }
        let mapped = try #require(IntensityStandardization(config: cfg)).apply(unit: px)
        let expected = try Segmenter.predict(plain, width: w, height: h, pixels: mapped)
        expectVaried(expected)
        #expect(try Segmenter.predict(standardizing, width: w, height: h, pixels: px) == expected)
        #expect(try Segmenter.predict(plain, width: w, height: h, pixels: px) != expected)
    }

    /// Training sees the re-mapped pixels too (the same table as inference).
    @Test func trainersTrainOnStandardizedImages() throws {
        var cfg = TrainingTests.smallConfig()
        cfg.standardizeIntensity = true
        let imgs = TrainingTests.syntheticSet(count: 2, size: 48, seed: 9)
        let trainer = try SegmentationTrainer(config: cfg, images: imgs, batch: 2, crop: 32, state: TrainingTests.segState(steps: 2))
        let st = try #require(IntensityStandardization(config: cfg))
        #expect(trainer.images.map(\.pixels) == imgs.map { st.apply($0.pixels) })
        #expect(trainer.images.map(\.labels) == imgs.map(\.labels))
        let plain = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32,
                                            state: TrainingTests.segState(steps: 2))
        #expect(plain.images.map(\.pixels) == imgs.map(\.pixels))
    }
}
