import Foundation
import MatSSLLite
import Testing
@testable import matssl_agent

/// The SEM data bar is cut off before segmentation and marked "not analysed" in the mask.
@Suite("data bar segmenter")
struct DataBarSegmenterTests {
    /// A 40×30 micrograph (two bright phases) above a 6-row bar: black panel, white text.
    static func barredImage() -> GrayImage {
        var px = [Float](repeating: 0, count: 40 * 36)
        for y in 0..<30 { for x in 0..<40 { px[y * 40 + x] = (x / 8 + y / 6) % 2 == 0 ? 0.6 : 0.8 } }
        for y in 30..<36 { for x in 0..<40 { px[y * 40 + x] = (x % 5 == 1 && y % 3 != 0) ? 1 : 0 } }
        return GrayImage(width: 40, height: 36, pixels: px)
    }

    @Test func theEngineSeesOnlyTheRowsAboveTheBar() throws {
        let image = Self.barredImage()
        let otsu = OtsuSegmenter()
        let barred = DataBarSegmenter.wrap(otsu, rows: 6)
        let mask = try barred.segment(image)
        #expect(mask.width == 40 && mask.height == 36)
        #expect(mask.labels[(30 * 40)...].allSatisfy { $0 == LabelMask.notAnalysed })
        let top = try #require(image.droppingBottomRows(6))
        #expect(Array(mask.labels[..<(30 * 40)]) == (try otsu.segment(top)).labels)
        // With the bar in Otsu's histogram the threshold moves and the phases change: the bar
        // is not a harmless strip.
        #expect(Array((try otsu.segment(image)).labels[..<(30 * 40)]) != Array(mask.labels[..<(30 * 40)]))
        #expect(barred.classNames == otsu.classNames && barred.modelName == otsu.modelName)
    }

    @Test func noBarIsTheEngineItselfAndATooTallBarIsAClearError() throws {
        let otsu = OtsuSegmenter()
        #expect(DataBarSegmenter.wrap(otsu, rows: 0) === otsu)
        do {
            _ = try DataBarSegmenter.wrap(otsu, rows: 36).segment(Self.barredImage())
            Issue.record("a 36-row bar on a 36-row image was accepted")
        } catch {
            #expect("\(error)".contains("36 rows") && "\(error)".contains("40×36") && "\(error)".contains("data_bar_rows"))
        }
    }

    @Test func theFileSaysFirstThenTheConfiguration() {
        var info = ImageInfo(path: "a.tif", format: .tiff, width: 40, height: 24, channels: 1, bitDepth: 8, colorModel: "gray",
                             pixelSize: nil, pages: 1)
        #expect(DataBarPolicy.resolve(info: info, configuredRows: 0) == (0, .none))
        #expect(DataBarPolicy.resolve(info: info, configuredRows: 6) == (6, .config))
        info.dataBarRows = 4
        #expect(DataBarPolicy.resolve(info: info, configuredRows: 6) == (4, .feiMetadata))
        info.dataBarRows = 0 // the file says: no bar
        #expect(DataBarPolicy.resolve(info: info, configuredRows: 6) == (0, .feiMetadata))
        let o = DataBarPolicy.statistics(StatisticsOptions(dataBarRows: 6), info: info)
        #expect(o.dataBarRows == 0 && o.dataBarSource == .feiMetadata)
    }

    /// `segment` on an FEI TIFF written by tifffile whose metadata puts a 4-row bar under a
    /// 20-row frame: no configuration needed.
    @Test func segmentTakesTheBarFromAnFEIFile() throws {
        let dir = DaemonTestSupport.tempDirectory("feibar")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DaemonModelSupport.saveModel(to: dir + "/tiny.int8.safetensors", name: "tiny", version: "1")
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("MatSSLLiteTests/Fixtures/images/fei-databar.tif").path
        try SegmentCommand.parse([fixture, "--model", dir + "/tiny.int8.safetensors", "--out", dir + "/out"]).run()
        let out = OutputPaths(image: fixture, directory: dir + "/out")
        let stats = try StatisticsFiles.readJSON(path: out.stats)
        #expect(stats.dataBarRowsCropped == 4 && stats.dataBarSource == .feiMetadata && stats.analysedHeightPx == 20)
        #expect(stats.pixelSizeUm == 0.05 && stats.pixelSizeSource == .feiMetadata)
        let mask = try MaskCodec.read(path: out.mask)
        #expect(mask.height == 24 && mask.labels[(20 * 40)...].allSatisfy { $0 == LabelMask.notAnalysed })
        #expect(mask.labels[..<(20 * 40)].allSatisfy { Int($0) < DaemonModelSupport.classNames.count })
    }
}
