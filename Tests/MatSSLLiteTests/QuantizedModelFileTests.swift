import Foundation
@testable import MatSSLLite
import Testing

@Suite("Int8 model file")
struct QuantizedModelFileTests {
    private func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qmf-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func roundTripGivesTheSameSegmentation() throws {
        let (_, model) = try makeTestInt8Model()
        let path = tempPath("m.int8.safetensors")
        try QuantizedModelFile.save(model, to: path)
        let loaded = try QuantizedModelFile.load(path: path)
        #expect(loaded.info == model.info)
        let image = grayImage(makeTestImage(height: 96, width: 96, seed: 4), height: 96, width: 96)
        #expect(try TiledSegmenter(model: loaded).segment(image) == TiledSegmenter(model: model).segment(image))
    }

    @Test func damagedFilesAreRefusedWithTheReason() throws {
        let (_, model) = try makeTestInt8Model()
        let path = tempPath("m.int8.safetensors")
        try QuantizedModelFile.save(model, to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        // A flipped weight byte near the end: only the checksum can notice.
        bytes[bytes.count - 3] ^= 0x10
        let flipped = tempPath("flipped.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        #expect { try QuantizedModelFile.load(path: flipped) } throws: { "\($0)".contains("checksum") && "\($0)".contains(flipped) }
        // Truncated.
        let truncated = tempPath("truncated.safetensors")
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: truncated))
        #expect { try QuantizedModelFile.load(path: truncated) } throws: { "\($0)".contains(truncated) }
        // An fp32 checkpoint is not an int8 model, and the message says what to do.
        let net = try makeTestSegmentationNet()
        let fp32 = tempPath("fp32.safetensors")
        try Checkpoint.save(path: fp32, config: net.config, store: net.store, state: TrainingState(kind: "segmentation"))
        #expect { try QuantizedModelFile.load(path: fp32) } throws: { "\($0)".contains("quantize") }
    }
}
