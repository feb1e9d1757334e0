import Foundation
import MatSSLLite
@testable import matssl_agent

/// A tiny int8 MatSSL-Lite model for the daemon's tests (built in a few hundred ms even in debug):
/// random weights, classifier logits centred on a probe image so that every class wins somewhere.
/// The MatSSLLiteTests target has its own helpers; test targets cannot share code.
enum DaemonModelSupport {
    static let classNames = ["phase-a", "phase-b", "phase-c"]

    static func makeModel(name: String = "tiny", version: String = "1", seed: UInt64 = 7) throws -> QuantizedModel {
        var cfg = ModelConfig()
        cfg.widths = [8, 8, 16, 16]
        cfg.depths = [1, 1, 1, 1]
        cfg.stemKernel = 3
        cfg.decoderWidths = [16, 8, 8, 8, 4]
        cfg.classNames = classNames
        cfg.classColors = ModelConfig.defaultColors(classNames.count)
        let net = try SegmentationNet(config: cfg, seed: seed)
        var rng = RandomState(seed: seed &+ 100)
        for e in net.store.entries {
            let p = net.store.pointer(e)
            if e.name.hasSuffix("running_var") { for i in 0..<e.count { p[i] = 0.5 + rng.uniform() } }
            else if e.name.hasSuffix("running_mean") { for i in 0..<e.count { p[i] = (rng.uniform() - 0.5) * 0.4 } }
        }
        let cls = net.store.value(net.classifier.weight)
        for i in 0..<net.classifier.weight.count { cls[i] *= 8 }
        net.training = false
        if let b = net.classifier.bias {
            let bias = net.store.value(b)
            bias.update(repeating: 0, count: b.count)
            let logits = try net.forward(probe(height: 64, width: 64, seed: seed))
            for c in 0..<b.count {
                var sum: Float = 0
                for i in 0..<logits.plane { sum += logits[c * logits.plane + i] }
                bias[c] = -sum / Float(logits.plane)
            }
        }
        var options = Quantizer.Options()
        options.name = name
        options.version = version
        let provenance = QuantizationProvenance(method: options.method, percentile: options.percentile, calibrationImages: ["synthetic"],
                                                sourceCheckpoint: "test", sourceCheckpointSHA256: "", created: "test")
        return try Quantizer.quantize(net: net, calibration: [probe(height: 64, width: 96, seed: seed &+ 1)], options: options,
                                      provenance: provenance)
    }

    /// Saves a tiny model to `path` (atomically: the daemon may be reading the old one).
    static func saveModel(to path: String, name: String = "tiny", version: String = "1") throws {
        let tmp = (path as NSString).deletingLastPathComponent + "/.tmp-model-\(UInt32.random(in: 0...UInt32.max))"
        try QuantizedModelFile.save(try makeModel(name: name, version: version), to: tmp)
        guard rename(tmp, path) == 0 else { throw SegmenterError(description: "rename \(tmp) → \(path) failed") }
    }

    /// A smooth image with structure at several scales, [1, 1, h, w] in [0, 1].
    static func probe(height: Int, width: Int, seed: UInt64) -> Tensor {
        let t = Tensor([1, 1, height, width])
        var rng = RandomState(seed: seed)
        for y in 0..<height {
            for x in 0..<width {
                let v = 0.5 + 0.3 * sin(Float(x) * 0.11) * cos(Float(y) * 0.07) + 0.1 * (rng.uniform() - 0.5)
                t[y * width + x] = min(1, max(0, v))
            }
        }
        return t
    }
}
