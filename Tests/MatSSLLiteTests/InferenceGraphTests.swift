import Foundation
@testable import MatSSLLite
import Testing

/// A small segmentation net with non-trivial BN statistics and gates, so that folding is exercised.
func makeTestSegmentationNet(seed: UInt64 = 7, widths: [Int] = [8, 8, 16, 16], depths: [Int] = [1, 1, 1, 1]) throws -> SegmentationNet {
    var cfg = ModelConfig()
    cfg.widths = widths
    cfg.depths = depths
    cfg.decoderWidths = [16, 8, 8, 8, 4]
    cfg.classNames = ["a", "b", "c"]
    cfg.classColors = ModelConfig.defaultColors(3)
    cfg.mean = 0.45
    cfg.std = 0.2
    let net = try SegmentationNet(config: cfg, seed: seed)
    var rng = RandomState(seed: seed &+ 100)
    for e in net.store.entries {
        let p = net.store.pointer(e)
        if e.name.hasSuffix("running_var") { for i in 0..<e.count { p[i] = 0.5 + rng.uniform() } }
        else if e.name.hasSuffix("running_mean") { for i in 0..<e.count { p[i] = (rng.uniform() - 0.5) * 0.4 } }
        else if e.name.hasSuffix(".bias") { for i in 0..<e.count { p[i] = (rng.uniform() - 0.5) * 0.2 } }
        else if e.name.hasSuffix("bn1.weight") { for i in 0..<e.count { p[i] = 0.5 + rng.uniform() } }
        else if e.name.contains("gff.gate") { for i in 0..<e.count { p[i] = (rng.uniform() - 0.5) * 4 } }
    }
    // A classifier that reads the features strongly, so the predicted classes vary over the image
    // (a random bias would otherwise pick one class everywhere and make comparisons vacuous).
    let cls = net.store.value(net.classifier.weight)
    for i in 0..<net.classifier.weight.count { cls[i] *= 8 }
    net.training = false
    if let b = net.classifier.bias {
        // Centre each class's logit on a probe image, so that every class wins somewhere.
        let bias = net.store.value(b)
        bias.update(repeating: 0, count: b.count)
        let probe = makeTestImage(height: 128, width: 128, seed: seed &+ 1)
        let logits = try net.forward(probe)
        for c in 0..<b.count {
            var sum: Float = 0
            for i in 0..<logits.plane { sum += logits[c * logits.plane + i] }
            bias[c] = -sum / Float(logits.plane)
        }
    }
    return net
}

/// A smooth test image with structure at several scales, [1, 1, h, w] in [0, 1].
func makeTestImage(height: Int, width: Int, seed: UInt64 = 3) -> Tensor {
    let t = Tensor([1, 1, height, width])
    var rng = RandomState(seed: seed)
    for y in 0..<height {
        for x in 0..<width {
            let wave: Float = 0.3 * sin(Float(x) * 0.11) * cos(Float(y) * 0.07)
            let noise: Float = 0.1 * (rng.uniform() - 0.5)
            let v: Float = 0.5 + wave + noise
            t[y * width + x] = min(1, max(0, v))
        }
    }
    return t
}

@Suite("Inference graph (folded fp32)")
struct InferenceGraphTests {
    @Test func foldedGraphMatchesTheNetworkInEvalMode() throws {
        let net = try makeTestSegmentationNet()
        let graph = InferenceGraphBuilder.build(net)
        let image = makeTestImage(height: 64, width: 96)
        let expected = try net.forward(image)
        let got = try FloatGraphRunner(graph: graph).run(image)
        #expect(got.shape == expected.shape)
        var maxErr: Float = 0, maxAbs: Float = 0
        for i in 0..<got.count {
            maxErr = max(maxErr, abs(got[i] - expected[i]))
            maxAbs = max(maxAbs, abs(expected[i]))
        }
        #expect(maxErr <= 1e-4 * max(1, maxAbs), "max |Δ| \(maxErr) of max |logit| \(maxAbs)")
    }

    @Test func graphShapesAndCostsAreConsistent() throws {
        let net = try makeTestSegmentationNet()
        let graph = InferenceGraphBuilder.build(net)
        #expect(graph.classes == 3)
        #expect(graph.tensors[graph.output].stride == 1)
        #expect(graph.macs(height: 64, width: 96) == net.forwardMACs(n: 1, h: 64, w: 96))
        // The bound must at least cover the stem and the deepest stage's 3×3 convs.
        #expect(graph.receptiveRadius() > 3 * 32)
    }
}
