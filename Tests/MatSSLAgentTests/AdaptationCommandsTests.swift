import Foundation
import MatSSLLite
import Testing
@testable import matssl_agent

/// The in-domain adaptation chain of scripts/train-default-model through the real commands:
/// pretrain → finetune → `pretrain --init seg` → `finetune --init seg --encoder ssl2 --encoder-lr-factor`.
@Suite("pretrain --init and finetune --encoder")
struct AdaptationCommandsTests {
    /// Disc images and their masks (class 1 inside the disc): images/, masks/.
    static func writeLabeledSet(_ dir: String, count: Int) throws {
        for d in ["images", "masks"] { try FileManager.default.createDirectory(atPath: "\(dir)/\(d)", withIntermediateDirectories: true) }
        for k in 0..<count {
            let img = DaemonTestSupport.testImage(width: 64, height: 64, seed: k)
            try PNGWriter.writeGray8(img, to: "\(dir)/images/m\(k).png")
            let mask = GrayImage(width: 64, height: 64, pixels: img.pixels.map { $0 > 0.5 ? 1 / 255 : 0 })
            try PNGWriter.writeGray8(mask, to: "\(dir)/masks/m\(k).png")
        }
    }

    static func tensors(_ path: String) throws -> [String: [Float]] {
        try Checkpoint.load(path: path).file.tensors.mapValues { $0.values }
    }

    @Test func theAdaptationStageKeepsNormalisationAndScalesEncoderUpdates() throws {
        let dir = DaemonTestSupport.tempDirectory("adapt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.writeLabeledSet(dir, count: 4)
        let small = ["--threads", "1", "--checkpoint-minutes", "100"]
        try PretrainCommand.parse(["--images", dir + "/images", "--out", dir + "/ssl.safetensors", "--steps", "2", "--batch", "2",
                                   "--crop", "32", "--widths", "8,8,8,8", "--depths", "1,1,1,1", "--stem-kernel", "3"] + small).run()
        try FinetuneCommand.parse(["--images", dir + "/images", "--masks", dir + "/masks", "--init", dir + "/ssl.safetensors",
                                   "--classes", "matrix,disc", "--decoder-widths", "8,8,8,8,8", "--out", dir + "/seg.safetensors",
                                   "--steps", "2", "--batch", "2", "--crop", "32", "--intensity-jitter", "strong", "--dice-weight", "0.5",
                                   "--intensity-range", "0:255"] + small).run()
        // In-domain SSL from the segmentation net: same normalisation, encoder copied, projector fresh.
        try PretrainCommand.parse(["--images", dir + "/images", "--init", dir + "/seg.safetensors", "--out", dir + "/ssl2.safetensors",
                                   "--steps", "1", "--batch", "2", "--crop", "32", "--lr", "0"] + small).run()
        let seg = try Checkpoint.load(path: dir + "/seg.safetensors"), ssl2 = try Checkpoint.load(path: dir + "/ssl2.safetensors")
        #expect(seg.state.provenance["intensityJitter"] == "strong")
        #expect(seg.state.provenance["diceWeight"] == "0.5")
        #expect(seg.state.provenance["intensityRange"] == "0:255")
        #expect(ssl2.state.provenance["intensityRange"] == nil, "auto is not recorded")
        #expect(ssl2.config.mean == seg.config.mean && ssl2.config.std == seg.config.std && ssl2.config.widths == seg.config.widths)
        #expect(ssl2.config.classNames.isEmpty)
        let segT = try Self.tensors(dir + "/seg.safetensors"), ssl2T = try Self.tensors(dir + "/ssl2.safetensors")
        // lr 0 (warm-up from 0): the encoder weights are the segmentation net's.
        #expect(ssl2T["layer2.0.conv1.weight"] == segT["layer2.0.conv1.weight"])
        #expect(ssl2T["gff.gate3"] == segT["gff.gate3"])
        // Real in-domain SSL steps move the encoder away from the segmentation net's.
        try PretrainCommand.parse(["--images", dir + "/images", "--init", dir + "/seg.safetensors", "--out", dir + "/ssl3.safetensors",
                                   "--steps", "2", "--batch", "2", "--crop", "32", "--warmup", "0"] + small).run()
        let ssl3T = try Self.tensors(dir + "/ssl3.safetensors")
        #expect(ssl3T["layer2.0.conv1.weight"] != segT["layer2.0.conv1.weight"])
        // Re-fine-tuning with the encoder frozen (factor 0): the encoder is exactly ssl3's, the decoder moved from seg's.
        // No --decoder-widths: the --init segmentation checkpoint's widths are kept, not the option's default.
        try FinetuneCommand.parse(["--images", dir + "/images", "--masks", dir + "/masks", "--init", dir + "/seg.safetensors",
                                   "--encoder", dir + "/ssl3.safetensors", "--encoder-lr-factor", "0", "--classes", "matrix,disc",
                                   "--out", dir + "/seg2.safetensors",
                                   "--steps", "2", "--batch", "2", "--crop", "32"] + small).run()
        #expect(try Checkpoint.load(path: dir + "/seg2.safetensors").config.decoderWidths == [8, 8, 8, 8, 8])
        let seg2T = try Self.tensors(dir + "/seg2.safetensors")
        var encoderChecked = 0
        // Batch-norm running statistics are buffers: they follow the data in training mode whatever the factor.
        for (name, v) in seg2T where SegmentationTrainer.isEncoderTensor(name) && !name.hasPrefix("optimizer") && !name.contains("running_") {
            if let s = ssl3T[name] { #expect(v == s, "\(name) is not the --encoder checkpoint's"); encoderChecked += 1 }
        }
        #expect(encoderChecked > 10)
        #expect(seg2T["decoder.blocks.0.conv1.weight"] != segT["decoder.blocks.0.conv1.weight"])
        #expect(throws: (any Error).self) {
            try FinetuneCommand.parse(["--images", dir + "/images", "--masks", dir + "/masks", "--out", dir + "/x.safetensors",
                                       "--encoder-lr-factor", "2"])
        }
        #expect(throws: (any Error).self) {
            try FinetuneCommand.parse(["--images", dir + "/images", "--masks", dir + "/masks", "--out", dir + "/x.safetensors",
                                       "--intensity-jitter", "wild"])
        }
        #expect(throws: (any Error).self) {
            try FinetuneCommand.parse(["--images", dir + "/images", "--masks", dir + "/masks", "--out", dir + "/x.safetensors",
                                       "--dice-weight", "-1"])
        }
    }
}
