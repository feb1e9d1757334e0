import Foundation
import MatSSLLite
import Testing
@testable import matssl_agent

/// `finetune` records its class weights; `quantize --logit-adjustment` folds the correction into
/// the int8 classifier and records it; without recorded weights it asks for `--class-weights`.
@Suite("quantize --logit-adjustment")
struct QuantizeCommandTests {
    @Test func theCorrectionComesFromTheCheckpointsRecordedWeights() throws {
        let dir = DaemonTestSupport.tempDirectory("quantize-la")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try AdaptationCommandsTests.writeLabeledSet(dir, count: 3)
        try FinetuneCommand.parse(["--images", dir + "/images", "--masks", dir + "/masks", "--classes", "matrix,disc",
                                   "--widths", "8,8,8,8", "--depths", "1,1,1,1", "--decoder-widths", "8,8,8,8,8",
                                   "--out", dir + "/seg.safetensors", "--steps", "2", "--batch", "2", "--crop", "32",
                                   "--threads", "1", "--checkpoint-minutes", "100"]).run()
        let recorded = try Checkpoint.load(path: dir + "/seg.safetensors").state.provenance["classWeights"]
        let weights = try #require(ClassWeighting.parse(recorded ?? "", classes: 2))
        #expect(weights[1] > weights[0], "the disc class is the rarer one: \(weights)")

        func quantize(_ extra: [String], to name: String) throws -> QuantizedModel {
            try QuantizeCommand.parse(["--model", dir + "/seg.safetensors", "--calibration", dir + "/images", "--threads", "1",
                                       "--out", dir + "/\(name)"] + extra).run()
            return try QuantizedModelFile.load(path: dir + "/\(name)")
        }
        let plain = try quantize([], to: "plain.int8.safetensors")
        let corrected = try quantize(["--logit-adjustment", "1", "--record", dir + "/record.json"], to: "la.int8.safetensors")
        #expect(plain.info.provenance.logitAdjustment == nil)
        let adj = try #require(corrected.info.provenance.logitAdjustment)
        #expect(adj == LogitAdjustment(tau: 1, classWeights: weights))
        // Only the classifier's float bias differs, by the offsets.
        let graph = plain.info.graph
        let cls = try #require(graph.convs.first { $0.output == graph.output })
        let b0 = try #require(plain.convs.first { $0.spec.name == cls.name }).floatBias
        let b1 = try #require(corrected.convs.first { $0.spec.name == cls.name }).floatBias
        for c in 0..<2 { #expect(abs(b1[c] - b0[c] - adj.offsets[c]) < 1e-5, "class \(c): \(b0[c]) → \(b1[c])") }
        let record = try String(contentsOfFile: dir + "/record.json", encoding: .utf8)
        #expect(record.contains("logitOffsets"))

        // A checkpoint without recorded weights (exported before session 6 had none): asks for them.
        let ck = try Checkpoint.load(path: dir + "/seg.safetensors")
        let net = try Checkpoint.segmentationNet(from: ck)
        var state = ck.state
        state.provenance["classWeights"] = nil
        try Checkpoint.save(path: dir + "/old.safetensors", config: net.config, store: net.store, state: state)
        #expect { try QuantizeCommand.parse(["--model", dir + "/old.safetensors", "--calibration", dir + "/images",
                                              "--logit-adjustment", "1", "--out", dir + "/x.int8.safetensors"]).run() }
            throws: { "\($0)".contains("--class-weights") && "\($0)".contains("old.safetensors") }
        let given = try QuantizeCommand.parse(["--model", dir + "/old.safetensors", "--calibration", dir + "/images", "--threads", "1",
                                               "--logit-adjustment", "0.5", "--class-weights", "0.5,2", "--out", dir + "/y.int8.safetensors"])
        try given.run()
        #expect(try QuantizedModelFile.load(path: dir + "/y.int8.safetensors").info.provenance.logitAdjustment
                == LogitAdjustment(tau: 0.5, classWeights: [0.5, 2]))
    }
}
