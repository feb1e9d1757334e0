import Foundation
import Testing
@testable import MatSSLLite

@Suite struct CheckpointTests {
    static func tmp(_ name: String) -> String {
        NSTemporaryDirectory() + "matssl-ck-\(getpid())-\(name).safetensors"
    }

    @Test func roundTripRestoresEveryTensorAndMetadata() throws {
        let cfg = ModelGradientTests.tinyConfig()
        let a = try SegmentationNet(config: cfg, seed: 7)
        let path = Self.tmp("rt")
        defer { unlink(path) }
        var st = TrainingState(kind: "segmentation"); st.step = 12; st.seed = 99
        try Checkpoint.save(path: path, config: cfg, store: a.store, state: st)
        let b = try Checkpoint.loadSegmentationNet(path: path)
        #expect(b.config == cfg)
        for e in a.store.entries { #expect(a.store.copy(e.name) == b.store.copy(e.name), "\(e.name)") }
        let ck = try Checkpoint.load(path: path)
        #expect(ck.state == st)
        #expect(ck.file.tensors["layer1.0.conv1.weight"]?.shape == [cfg.widths[0], cfg.widths[0], 3, 3])
    }

    @Test func truncatedAndCorruptFilesAreRejectedWithReasons() throws {
        let cfg = ModelGradientTests.tinyConfig()
        let a = try SegmentationNet(config: cfg, seed: 7)
        let path = Self.tmp("bad")
        defer { unlink(path) }
        try Checkpoint.save(path: path, config: cfg, store: a.store, state: TrainingState(kind: "segmentation"))
        let good = FileManager.default.contents(atPath: path)!
        for cut in [0, 5, 8, 100, good.count / 2, good.count - 1] {
            #expect(throws: CheckpointError.self, "cut at \(cut)") { try SafeTensors.decode(good.prefix(cut), path: path) }
        }
        var flipped = good; flipped[0] = 0xFF; flipped[5] = 0x7F
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(flipped, path: path) }
        var garbage = good; for i in 8..<40 { garbage[i] = 0x41 }
        #expect(throws: CheckpointError.self) { try SafeTensors.decode(garbage, path: path) }
        // Shape mismatch against a different architecture.
        var other = cfg; other.widths = [8, 8, 12, 16]
        let net2 = try SegmentationNet(config: other)
        let ck = try Checkpoint.load(path: path)
        #expect(throws: CheckpointError.self) { try Checkpoint.restore(ck, into: net2.store, strict: true) }
        // An SSL checkpoint is not a segmentation model.
        let ssl = try SSLNet(config: ModelGradientTests.tinyConfig(classes: 0))
        try Checkpoint.save(path: path, config: ssl.config, store: ssl.store, state: TrainingState(kind: "ssl"))
        #expect(throws: CheckpointError.self) { _ = try Checkpoint.loadSegmentationNet(path: path) }
    }
}
