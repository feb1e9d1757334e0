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

    static func config(_ dir: String) -> AgentConfig {
        var config = AgentConfig()
        config.roots = [dir]
        config.stateDirectory = dir + "/.state"
        config.pixelSizeMicrometres = 0.5
        config.engine = "otsu"
        return config
    }

    func processor(_ dir: String, journal: Journal, recorder: Recorder, stop: Bool = false, config: AgentConfig? = nil,
                   segmenter: ImageSegmenter = OtsuSegmenter()) -> ImageProcessor {
        ImageProcessor(config: config ?? Self.config(dir), segmenter: segmenter, journal: journal, logger: Logger(label: "test"),
                              rehint: { recorder.rehinted.append($0) }, shouldStop: { stop }, progress: {})
    }

    func queue(_ path: String, _ journal: Journal) throws -> QueuedFile {
        try journal.admit(path: path, signature: try #require(FileSignature.of(path: path)))
        return try #require(try journal.takeNext())
    }

    /// 12-bit detector data in a 16-bit TIFF (written by tifffile): read as 12-bit by default, so
    /// the image is not nearly black; the stats say which range was used. `[image] intensity_range`
    /// overrides it.
    @Test func deepImagesRecordTheirIntensityRange() throws {
        let fixture = InspectCommandTests.fixtures + "/gray12-in16.tif"
        for (policy, expected) in [(IntensityPolicy.auto, IntensityRange(low: 0, high: 4095, source: .dataMaximum)),
                                   (.storage, IntensityRange(low: 0, high: 65535, source: .storage)),
                                   (.fixed(low: 0, high: 1023), IntensityRange(low: 0, high: 1023, source: .config))] {
            let dir = DaemonTestSupport.tempDirectory("deep")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let journal = try Journal(path: dir + "/.state/j.sqlite")
            try FileManager.default.copyItem(atPath: fixture, toPath: dir + "/g.tif")
            var config = Self.config(dir)
            config.intensityRange = policy
            let p = processor(dir, journal: journal, recorder: Recorder(), config: config)
            #expect(p.process(try queue(dir + "/g.tif", journal)) == .done)
            let stats = try StatisticsFiles.readJSON(path: OutputPaths(image: dir + "/g.tif", folderName: "matssl").stats)
            #expect(stats.provenance.intensityRange == expected, "\(policy)")
        }
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
        #expect(FileManager.default.fileExists(atPath: out.thumbnail))
        #expect(!FileManager.default.fileExists(atPath: out.objects))
        let stats = try StatisticsFiles.readJSON(path: out.stats)
        #expect(stats.provenance.imageSHA256 == (try SHA256.hex(fileAt: dir + "/a.png")))
        #expect(stats.provenance.image == "a.png" && stats.provenance.modelName == "otsu-baseline")
        #expect(stats.pixelSizeUm == 0.5 && stats.pixelSizeSource == .config)
        #expect(stats.provenance.intensityRange == IntensityRange(low: 0, high: 255, source: .storage))
        #expect(abs(stats.classes.map(\.areaFraction).reduce(0, +) - 1) < 1e-9)
        #expect(stats.classes.map(\.areaPx).reduce(0, +) == 64 * 48)
        // The bright disc is one interior object.
        #expect(stats.classes[1].objects?.countInterior == 1)
        let summary = try #require(try journal.row(path: dir + "/a.png")?.summary)
        #expect(summary.contains("\"area_fractions\"") && summary.contains("\"bright\""))
        let report = try FolderResults.rebuild(folder: dir, options: .init(config: Self.config(dir), palette: OtsuSegmenter().palette), journal: journal)
        #expect(report == .init(images: 1, problems: []))
        let csv = try String(contentsOfFile: out.resultsCSV, encoding: .utf8)
        let lines = csv.split(whereSeparator: \.isNewline)
        #expect(lines.count == 2)
        #expect(lines[0].contains("area_fraction_dark") && lines[0].contains("area_um2_bright"), "header: \(lines[0])")
        #expect(lines[1].hasPrefix("a.png,"))
        let html = try String(contentsOfFile: out.indexHTML, encoding: .utf8)
        #expect(html.contains("a.png.thumb.png") && html.contains("a.png.overlay.png"))
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

    @Test func statisticsOptionsReachTheOutputsAndFolderSummariesFollowTheJournal() throws {
        let dir = DaemonTestSupport.tempDirectory("proc-stats")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journal = try Journal(path: dir + "/.state/j.sqlite")
        var config = Self.config(dir)
        config.objectsCSV = true
        config.csvSeparator = .semicolon
        config.dataBarRows = 8
        config.htmlReport = false
        let p = processor(dir, journal: journal, recorder: Recorder(), config: config)
        for (i, name) in ["x.png", "y.png"].enumerated() {
            DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 20 + i), to: dir + "/" + name)
            #expect(p.process(try queue(dir + "/" + name, journal)) == .done)
        }
        let x = OutputPaths(image: dir + "/x.png", folderName: "matssl")
        let stats = try StatisticsFiles.readJSON(path: x.stats)
        #expect(stats.dataBarRowsCropped == 8 && stats.analysedHeightPx == 40 && stats.analysedAreaPx == 64 * 40)
        let objects = try String(contentsOfFile: x.objects, encoding: .utf8)
        #expect(objects.contains(";") && !FileManager.default.fileExists(atPath: x.thumbnail))

        let options = FolderResults.Options(config: config, palette: OtsuSegmenter().palette)
        try FolderResults.rebuild(folder: dir, options: options, journal: journal)
        var rows = try String(contentsOfFile: x.resultsCSV, encoding: .utf8).split(whereSeparator: \.isNewline)
        #expect(rows.count == 3 && rows[0].contains(";") && rows[1].hasPrefix("x.png;") && rows[2].hasPrefix("y.png;"))
        #expect(!FileManager.default.fileExists(atPath: x.indexHTML))
        // A deleted image drops out; an unreadable stats file is reported, not fatal.
        try FileManager.default.removeItem(atPath: dir + "/y.png")
        try "{".write(toFile: x.stats, atomically: true, encoding: .utf8)
        let report = try FolderResults.rebuild(folder: dir, options: options, journal: journal)
        #expect(report.images == 0 && report.problems.count == 1 && report.problems[0].contains("x.png.stats.json"))
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 30), to: dir + "/z.png")
        #expect(p.process(try queue(dir + "/z.png", journal)) == .done)
        try FolderResults.rebuild(folder: dir, options: options, journal: journal)
        rows = try String(contentsOfFile: x.resultsCSV, encoding: .utf8).split(whereSeparator: \.isNewline)
        #expect(rows.count == 2 && rows[1].hasPrefix("z.png;"))
    }

}

@Suite("Int8 model engine")
struct ModelEngineTests {
    @Test func theDaemonPipelineRunsARealInt8ModelFile() throws {
        let dir = DaemonTestSupport.tempDirectory("proc-model")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DaemonModelSupport.saveModel(to: dir + "/tiny.int8.safetensors", name: "tiny", version: "3")
        var config = ImageProcessorTests.config(dir)
        config.engine = "model"
        config.model = dir + "/tiny.int8.safetensors"
        config.threads = 1
        let built = try SegmenterFactory.build(config)
        #expect(built.segmenter is ModelSegmenter && built.notice == nil && built.modelPath == config.model)
        #expect(built.segmenter.classNames == DaemonModelSupport.classNames)

        let journal = try Journal(path: dir + "/.state/j.sqlite")
        let p = ImageProcessorTests().processor(dir, journal: journal, recorder: .init(), config: config, segmenter: built.segmenter)
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 40, width: 80, height: 72), to: dir + "/m.png")
        try journal.admit(path: dir + "/m.png", signature: try #require(FileSignature.of(path: dir + "/m.png")))
        #expect(p.process(try #require(try journal.takeNext())) == .done)
        let out = OutputPaths(image: dir + "/m.png", folderName: "matssl")
        let mask = try MaskCodec.read(path: out.mask)
        #expect(mask.width == 80 && mask.height == 72 && mask.labels.allSatisfy { $0 < 3 })
        // The streamed daemon result equals the model run on the whole decoded image.
        let (image, _) = try ImageDecoder.decode(path: dir + "/m.png")
        #expect(try built.segmenter.segment(image).labels == mask.labels)
        let stats = try StatisticsFiles.readJSON(path: out.stats)
        #expect(stats.provenance.modelName == "tiny" && stats.provenance.modelVersion == "3")
        #expect(stats.classes.map(\.className) == DaemonModelSupport.classNames)
        #expect(try journal.row(path: dir + "/m.png")?.modelVersion == "3")
        #expect(FileManager.default.fileExists(atPath: out.overlay))

        // A truncated file fails while streaming: a decode error naming the file, no outputs left.
        let good = try DaemonTestSupport.pngBytes(seed: 41, width: 80, height: 72)
        DaemonTestSupport.write(good.prefix(good.count / 2), to: dir + "/t.png")
        try journal.admit(path: dir + "/t.png", signature: try #require(FileSignature.of(path: dir + "/t.png")))
        guard case .failed(let reason) = p.process(try #require(try journal.takeNext())) else {
            Issue.record("a truncated file must fail"); return
        }
        #expect(reason.contains("t.png") && reason.contains("truncated") && !reason.contains("segmentation failed"), "\(reason)")
        let t = OutputPaths(image: dir + "/t.png", folderName: "matssl")
        #expect(FileManager.default.fileExists(atPath: t.error) && !FileManager.default.fileExists(atPath: t.mask))
    }

    @Test func aMissingModelIsAnErrorForModelAndANoticeForAuto() throws {
        let dir = DaemonTestSupport.tempDirectory("model-missing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = AgentConfig()
        config.roots = [dir]
        config.stateDirectory = dir + "/state"
        config.model = "no-such-model"
        config.engine = "model"
        do {
            _ = try SegmenterFactory.build(config)
            Issue.record("a missing model must not build")
        } catch {
            let text = "\(error)"
            #expect(text.contains("no-such-model") && text.contains("/usr/share/matssl-agent/models/no-such-model.int8.safetensors")
                    && text.contains(dir + "/state/models/no-such-model/current"), "\(text)")
        }
        #expect(ConfigLoader.checkEnvironment(config).contains { $0.contains("looked for") })
        config.engine = "auto"
        let built = try SegmenterFactory.build(config)
        #expect(built.segmenter is OtsuSegmenter)
        #expect(built.notice?.contains("looked for") == true && built.notice?.contains("Otsu") == true)
        var notes: [String] = []
        #expect(ConfigLoader.checkEnvironment(config, notes: &notes).isEmpty)
        #expect(notes.contains { $0.contains("looked for") })
        // A model file that exists but is not a model is an error even under "auto".
        try "not a model".write(toFile: dir + "/bad.int8.safetensors", atomically: true, encoding: .utf8)
        config.model = dir + "/bad.int8.safetensors"
        #expect(throws: SegmenterError.self) { try SegmenterFactory.build(config) }
    }
}
