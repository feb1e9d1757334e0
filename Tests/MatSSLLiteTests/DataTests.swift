import Foundation
import Testing
@testable import MatSSLLite

@Suite struct DataTests {
    @Test func maskOneRowShortIsCroppedAndReported() throws {
        let img = (w: 4, h: 3, pixels: [Float](repeating: 0.5, count: 12))
        let mask = (w: 4, h: 2, labels: [UInt8](repeating: 1, count: 8))
        let (t, msg) = try reconcileImageAndMask(name: "m15", image: img, mask: mask)
        #expect(t.width == 4 && t.height == 2 && t.labels!.count == 8)
        #expect(msg?.contains("cropped to 4×2") == true)
        #expect(throws: DataError.self) { _ = try reconcileImageAndMask(name: "x", image: img, mask: (w: 40, h: 30, labels: [UInt8](repeating: 0, count: 1200))) }
    }

    @Test func segmentationCropKeepsPixelsAndLabelsAligned() {
        // Label = 1 exactly where the pixel is bright: any flip/rotation must keep them paired.
        var px = [Float](repeating: 0.2, count: 40 * 40), lb = [UInt8](repeating: 0, count: 40 * 40)
        for y in 0..<40 { for x in 0..<40 where (x * 7 + y * 3) % 5 == 0 { px[y * 40 + x] = 1; lb[y * 40 + x] = 1 } }
        let img = TrainImage(name: "t", width: 40, height: 40, floatPixels: px, labels: lb)
        var out = [Float](repeating: 0, count: 32 * 32), labels = [UInt8](repeating: 0, count: 32 * 32)
        for seed in 0..<16 {
            var rng = RandomState(seed: UInt64(seed))
            Augment.segmentationCrop(img, size: 32, rng: &rng, ignore: 255, out: &out, labels: &labels)
            let mean = out.reduce(0, +) / Float(out.count)
            for i in 0..<out.count { #expect((out[i] > mean) == (labels[i] == 1)) }
        }
    }

    @Test func sampleOrderVisitsEveryImageOncePerEpoch() {
        var o = SampleOrder(count: 7, seed: 3)
        let epoch0 = (0..<7).map { o.index($0) }, epoch1 = (7..<14).map { o.index($0) }
        #expect(Set(epoch0) == Set(0..<7) && Set(epoch1) == Set(0..<7))
        var o2 = SampleOrder(count: 7, seed: 3)
        #expect((0..<14).map { o2.index($0) } == epoch0 + epoch1)
    }
}

/// Real MetalDAM pairs from `<root>/../shared/data` (skipped with a message when absent).
@Suite struct RealDataLoaderTests {
    static let dataRoot: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/data/metaldam/labeled").path
    }()
    static var available: Bool { FileManager.default.fileExists(atPath: dataRoot + "/images/micrograph15.jpg") }

    @Test(.enabled(if: available, "MetalDAM not found at ../shared/data: skipped"))
    func shortMaskIsCroppedAndValidationListResolves() throws {
        var logs: [String] = []
        let imgs = try DatasetLoader.loadLabeled(imageDir: Self.dataRoot + "/images", maskDir: Self.dataRoot + "/masks",
                                                 include: ["micrograph15", "micrograph21"]) { logs.append($0) }
        #expect(imgs.count == 2)
        let m15 = imgs.first { $0.name == "micrograph15" }!
        #expect(m15.width == 1024 && m15.height == 702)
        #expect(logs.contains { $0.contains("micrograph15") && $0.contains("cropped to 1024×702") })
        let m21 = imgs.first { $0.name == "micrograph21" }!
        #expect(m21.width == 1280 && m21.height == 895 && m21.labels!.allSatisfy { $0 < 5 })
        let listPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("splits/metaldam-val.txt").path
        let val = try DatasetLoader.readList(listPath)
        #expect(val.count == 6 && val.contains("micrograph22"))
    }
}

/// `dataBarRows`: the bottom rows of SEM images (a data bar) never reach training, calibration or scoring.
@Suite struct DataBarCropTests {
    /// A 12×20 micrograph whose bottom 5 rows are a white bar, and its mask (class 1 above, the bar
    /// labelled 4), written as PNG files.
    static func writePair(in dir: String) throws -> (images: String, masks: String) {
        let images = dir + "/images", masks = dir + "/masks"
        for d in [images, masks] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let (w, h, bar) = (12, 20, 5)
        let px = (0..<(w * h)).map { $0 / w < h - bar ? Float(0.4) : 1 }
        try PNGWriter.writeGray8(GrayImage(width: w, height: h, pixels: px), to: images + "/a.png")
        let lb = (0..<(w * h)).map { $0 / w < h - bar ? Float(1) / 255 : Float(4) / 255 }
        try PNGWriter.writeGray8(GrayImage(width: w, height: h, pixels: lb), to: masks + "/a.png")
        return (images, masks)
    }

    @Test func labeledAndUnlabeledImagesLoseTheBarAndNothingElse() throws {
        let dir = NSTemporaryDirectory() + "databar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, masks) = try Self.writePair(in: dir)
        let whole = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks) { _ in }
        #expect(whole[0].height == 20 && whole[0].labels!.contains(4))
        let cropped = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, dataBarRows: 5) { _ in }
        #expect(cropped[0].width == 12 && cropped[0].height == 15)
        #expect(cropped[0].labels! == [UInt8](repeating: 1, count: 12 * 15))
        #expect(cropped[0].pixels == [UInt8](repeating: 102, count: 12 * 15))
        let unlabeled = try DatasetLoader.loadUnlabeled(dirs: [images], dataBarRows: 5) { _ in }
        #expect(unlabeled[0].height == 15 && unlabeled[0].pixels.allSatisfy { $0 == 102 })
    }

    @Test func aBarAsTallAsTheImageIsAnErrorNamingTheFile() throws {
        let dir = NSTemporaryDirectory() + "databar-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (images, masks) = try Self.writePair(in: dir)
        do {
            _ = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, dataBarRows: 20) { _ in }
            Issue.record("a 20-row bar on a 20-row image was accepted")
        } catch {
            #expect("\(error)".contains(images + "/a.png") && "\(error)".contains("20 rows"))
        }
        var log: [String] = []
        #expect(throws: DataError.self) { _ = try DatasetLoader.loadUnlabeled(dirs: [images], dataBarRows: 20) { log.append($0) } }
        #expect(log.count == 1 && log[0].contains("a.png") && log[0].contains("data bar"))
        #expect(GrayImage(width: 2, height: 3, pixels: [0, 0, 0, 0, 1, 1]).droppingBottomRows(1) == GrayImage(width: 2, height: 2, pixels: [0, 0, 0, 0]))
        #expect(GrayImage(width: 2, height: 3, pixels: [0, 0, 0, 0, 1, 1]).droppingBottomRows(3) == nil)
    }
}

extension DataBarCropTests {
    /// An FEI/Thermo file's own bar (its metadata's frame height) wins over the configured rows.
    @Test func anFEIFilesOwnBarWins() throws {
        let dir = NSTemporaryDirectory() + "databar-fei-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixture.path("fei-databar.tif"), toPath: dir + "/f.tif")
        for configured in [0, 9] {
            let imgs = try DatasetLoader.loadUnlabeled(dirs: [dir], dataBarRows: configured) { _ in }
            #expect(imgs.count == 1 && imgs[0].width == 40 && imgs[0].height == 20)
        }
    }
}
