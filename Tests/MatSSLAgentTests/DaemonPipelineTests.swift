import Foundation
import Logging
import MatSSLLite
import Testing
import Watcher
@testable import matssl_agent

@Suite("Otsu baseline")
struct OtsuSegmenterTests {
    @Test func separatesTwoPhases() throws {
        let image = DaemonTestSupport.testImage(seed: 3)
        let mask = try OtsuSegmenter().segment(image)
        #expect(mask.width == 64 && mask.height == 48)
        for i in 0..<image.pixels.count {
            #expect(mask.labels[i] == (image.pixels[i] > 0.5 ? 1 : 0))
        }
    }

    @Test func thresholdMatchesABruteForceReference() {
        // Reference: evaluate the between-class variance for every split in Double directly.
        let pixels: [Float] = (0..<500).map { Float(($0 * 37) % 101) / 100 * ($0 % 3 == 0 ? 0.4 : 1) }
        var best = -1.0, bestT: Float = 0
        for k in 1..<256 {
            let t = Float(k) / 256
            let below = pixels.filter { min(max($0, 0), 1) * 256 < Float(k) }.map { Double(Int(min(max($0, 0), 1) * 256)) }
            let above = pixels.filter { !(min(max($0, 0), 1) * 256 < Float(k)) }.map { Double(min(255, Int(min(max($0, 0), 1) * 256))) }
            guard !below.isEmpty, !above.isEmpty else { continue }
            let mb = below.reduce(0, +) / Double(below.count), ma = above.reduce(0, +) / Double(above.count)
            let v = Double(below.count) * Double(above.count) * (mb - ma) * (mb - ma)
            if v > best { best = v; bestT = t }
        }
        #expect(OtsuSegmenter.threshold(pixels) == bestT)
    }

    @Test func constantImageIsOneClass() throws {
        let mask = try OtsuSegmenter().segment(GrayImage(width: 4, height: 2, pixels: [Float](repeating: 0.3, count: 8)))
        #expect(mask.labels.allSatisfy { $0 == 0 })
    }
}

@Suite("Image processor")
struct ImageProcessorTests {
    final class Recorder: @unchecked Sendable { var rehinted: [String] = [] }

    func processor(_ dir: String, journal: Journal, recorder: Recorder, stop: Bool = false) -> ImageProcessor {
        var config = AgentConfig()
        config.roots = [dir]
        config.stateDirectory = dir + "/.state"
        config.pixelSizeMicrometres = 0.5
        return ImageProcessor(config: config, segmenter: OtsuSegmenter(), journal: journal, logger: Logger(label: "test"),
                              rehint: { recorder.rehinted.append($0) }, shouldStop: { stop }, progress: {})
    }

    func queue(_ path: String, _ journal: Journal) throws -> QueuedFile {
        try journal.admit(path: path, signature: try #require(FileSignature.of(path: path)))
        return try #require(try journal.takeNext())
    }

    @Test func writesMaskOverlayStatsAndCSVRow() throws {
        let dir = DaemonTestSupport.tempDirectory("proc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(path: dir + "/.state/j.sqlite")
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 1), to: dir + "/a.png")
        let p = processor(dir, journal: journal, recorder: Recorder())
        #expect(p.process(try queue(dir + "/a.png", journal)) == .done)
        let out = OutputPaths(image: dir + "/a.png", folderName: "matssl")
        let mask = try MaskCodec.read(path: out.mask)
        #expect(mask.width == 64 && mask.height == 48 && mask.labels.contains(1) && mask.labels.contains(0))
        #expect(FileManager.default.fileExists(atPath: out.overlay))
        let stats = try #require(ImageStats.recordedHash(at: out.stats))
        #expect(stats.contentSHA256 == (try SHA256.hex(fileAt: dir + "/a.png")))
        #expect(stats.pixelSizeUm == 0.5 && stats.pixelSizeSource == "config")
        #expect(abs(stats.classes.map(\.areaFraction).reduce(0, +) - 1) < 1e-9)
        #expect(stats.classes.map(\.pixels).reduce(0, +) == 64 * 48)
        try ResultsCSV.rebuild(folder: dir, outputFolder: "matssl", journal: journal)
        let csv = try String(contentsOfFile: out.resultsCSV, encoding: .utf8)
        #expect(csv.split(separator: "\n").count == 2)
        #expect(csv.contains("dark_area_fraction") && csv.contains("bright_area_um2") && csv.contains("a.png,64,48,0.5,config"))
        // No temp files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.directory).allSatisfy { !$0.hasPrefix(".") })
    }

    @Test func corruptFileGetsAnErrorRecordAndAGoodVersionReplacesIt() throws {
        let dir = DaemonTestSupport.tempDirectory("proc-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(path: dir + "/.state/j.sqlite")
        let good = try DaemonTestSupport.pngBytes(seed: 2)
        DaemonTestSupport.write(good.prefix(good.count / 2), to: dir + "/b.png")
        let p = processor(dir, journal: journal, recorder: Recorder())
        guard case .failed(let reason) = p.process(try queue(dir + "/b.png", journal)) else { Issue.record("expected failure"); return }
        #expect(reason.contains("b.png"))
        let out = OutputPaths(image: dir + "/b.png", folderName: "matssl")
        let record = try JSONDecoder().decode(ImageErrorRecord.self, from: Data(contentsOf: URL(fileURLWithPath: out.error)))
        #expect(record.file == "b.png" && record.reason == reason)
        #expect(!FileManager.default.fileExists(atPath: out.mask))
        #expect(try journal.row(path: dir + "/b.png")?.status == .failed)
        usleep(10_000)
        DaemonTestSupport.write(good, to: dir + "/b.png")
        #expect(p.process(try queue(dir + "/b.png", journal)) == .done)
        #expect(!FileManager.default.fileExists(atPath: out.error))
        #expect(FileManager.default.fileExists(atPath: out.mask))
    }

    @Test func touchedFileIsNotReprocessedAndCompleteOutputsOfAKilledRunAreAdopted() throws {
        let dir = DaemonTestSupport.tempDirectory("proc-touch")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(path: dir + "/.state/j.sqlite")
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 4), to: dir + "/c.png")
        let p = processor(dir, journal: journal, recorder: Recorder())
        #expect(p.process(try queue(dir + "/c.png", journal)) == .done)
        // touch: new mtime, same content.
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: 5)], ofItemAtPath: dir + "/c.png")
        #expect(p.process(try queue(dir + "/c.png", journal)) == .unchanged)
        #expect(try journal.processingCount(path: dir + "/c.png") == 1)

        // A second journal that never heard of the file, but the outputs are on disk: adopt, don't redo.
        let fresh = try Journal(path: dir + "/.state/other.sqlite")
        let q = processor(dir, journal: fresh, recorder: Recorder())
        #expect(q.process(try queue(dir + "/c.png", fresh)) == .unchanged)
        #expect(try fresh.processingCount(path: dir + "/c.png") == 0)
        #expect(try fresh.row(path: dir + "/c.png")?.status == .done)
    }

    @Test func aFileChangedAfterSettlingIsSentBackAndStopAbandonsCleanly() throws {
        let dir = DaemonTestSupport.tempDirectory("proc-change")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(path: dir + "/.state/j.sqlite")
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 5), to: dir + "/d.png")
        let item = try queue(dir + "/d.png", journal)
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 6, width: 80), to: dir + "/d.png")
        let recorder = Recorder()
        #expect(processor(dir, journal: journal, recorder: recorder).process(item) == .skipped("changed"))
        #expect(recorder.rehinted == [dir + "/d.png"])

        let stopping = processor(dir, journal: journal, recorder: recorder, stop: true)
        #expect(stopping.process(try queue(dir + "/d.png", journal)) == .abandoned)
        #expect(try journal.row(path: dir + "/d.png")?.status == .queued)
    }

    @Test func csvEscapesAwkwardNames() {
        #expect(ResultsCSV.escape("plain") == "plain")
        #expect(ResultsCSV.escape("a,b") == "\"a,b\"")
        #expect(ResultsCSV.escape("say \"hi\"") == "\"say \"\"hi\"\"\"")
    }
}
