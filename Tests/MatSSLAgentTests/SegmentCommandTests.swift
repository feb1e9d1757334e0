import Foundation
import MatSSLLite
import Testing
@testable import matssl_agent

@Suite("segment command and model lookup")
struct SegmentCommandTests {
    @Test func segmentWritesEveryOutputWithATinyInt8Model() throws {
        let dir = DaemonTestSupport.tempDirectory("segcmd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DaemonModelSupport.saveModel(to: dir + "/tiny.int8.safetensors", name: "tiny", version: "5")
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 70, width: 72, height: 64), to: dir + "/s.png")
        let command = try SegmentCommand.parse([dir + "/s.png", "--model", dir + "/tiny.int8.safetensors", "--out", dir + "/out",
                                                "--objects", "--pixel-size", "0.5", "--data-bar-rows", "2"])
        try command.run()
        let out = OutputPaths(image: dir + "/s.png", directory: dir + "/out")
        for file in [out.mask, out.overlay, out.stats, out.objects] { #expect(FileManager.default.fileExists(atPath: file), "\(file)") }
        let stats = try StatisticsFiles.readJSON(path: out.stats)
        #expect(stats.provenance.modelVersion == "5" && stats.pixelSizeUm == 0.5 && stats.pixelSizeSource == .config)
        let sha = try SHA256.hex(fileAt: dir + "/s.png")
        #expect(stats.dataBarRowsCropped == 2 && stats.provenance.imageSHA256 == sha)
        // The bar is not segmented: its mask rows are 255 (no class); above it, the mask is the
        // network's on the image without the bar.
        let mask = try MaskCodec.read(path: out.mask)
        #expect(mask.width == 72 && mask.height == 64)
        #expect(mask.labels[(62 * 72)...].allSatisfy { $0 == LabelMask.notAnalysed })
        let image = try #require(try ImageDecoder.decode(path: dir + "/s.png").0.droppingBottomRows(2))
        let plain = try ModelSegmenter(path: dir + "/tiny.int8.safetensors", threads: 1, augmentation: command.tta).segment(image)
        #expect(Array(mask.labels[..<(62 * 72)]) == plain.labels)
        // A bad image makes the command fail (exit 1) after doing the good ones.
        DaemonTestSupport.write(Data("junk".utf8), to: dir + "/bad.png")
        let failing = try SegmentCommand.parse([dir + "/bad.png", "--model", dir + "/tiny.int8.safetensors", "--out", dir + "/out"])
        #expect(throws: (any Error).self) { try failing.run() }
    }

    @Test func namesResolveThroughTheStateDirectoryAndPathsAreTakenAsGiven() throws {
        let dir = DaemonTestSupport.tempDirectory("locator")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/state/models/tiny", withIntermediateDirectories: true)
        try DaemonModelSupport.saveModel(to: dir + "/v7.int8.safetensors", name: "tiny", version: "7")
        try FileManager.default.createSymbolicLink(atPath: dir + "/state/models/tiny/current", withDestinationPath: dir + "/v7.int8.safetensors")
        let byName = try ModelLocator.resolve("tiny", stateDirectory: dir + "/state")
        #expect(byName == dir + "/state/models/tiny/current")
        let byPath = try ModelLocator.resolve(dir + "/v7.int8.safetensors")
        #expect(byPath == dir + "/v7.int8.safetensors")
        #expect(throws: ModelLocator.NotFound.self) { try ModelLocator.resolve(dir + "/missing.int8.safetensors") }
        let candidates = ModelLocator.candidates(for: "tiny", stateDirectory: dir + "/state")
        #expect(candidates.contains("/usr/local/share/matssl-agent/models/tiny.int8.safetensors"))
        #expect(candidates.firstIndex(of: dir + "/state/models/tiny/current")! < candidates.firstIndex(of: "/usr/local/share/matssl-agent/models/tiny.int8.safetensors")!)
        var config = AgentConfig()
        config.stateDirectory = dir + "/state"
        config.model = "tiny"
        let built = try SegmenterFactory.build(config) // engine "auto"
        #expect(built.segmenter.modelVersion == "7" && built.notice == nil)
    }
}
