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

    @Test func theFactoryPutsTheConfiguredBarInFrontOfTheEngine() throws {
        var config = AgentConfig()
        config.engine = "otsu"
        config.dataBarRows = 6
        let built = try SegmenterFactory.build(config)
        let mask = try built.segmenter.segment(Self.barredImage())
        #expect(built.segmenter is DataBarSegmenter && mask.labels.last == LabelMask.notAnalysed)
    }
}
