import Foundation
import Testing
@testable import MatSSLLite

/// Whole-network backward passes against central finite differences (tiny shapes).
@Suite struct ModelGradientTests {
    static func tinyConfig(classes: Int = 3) -> ModelConfig {
        var c = ModelConfig()
        c.widths = [8, 8, 12, 12]; c.depths = [1, 2, 1, 1]; c.stemKernel = 3
        c.decoderWidths = [8, 8, 8, 8, 8]; c.projectorHidden = 12; c.projectorDim = 6
        c.classNames = (0..<classes).map { "c\($0)" }
        return c
    }

    static func randomTensor(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RandomState(seed: seed)
        let t = Tensor(shape)
        for i in 0..<t.count { t[i] = rng.uniform() }
        return t
    }

    @Test func segmentationNetGradientsMatchFiniteDifferences() throws {
        let net = try SegmentationNet(config: Self.tinyConfig(), seed: 3)
        let x = Self.randomTensor([2, 1, 64, 64], seed: 5)
        var rng = RandomState(seed: 9)
        let r = (0..<(2 * 3 * 64 * 64)).map { _ in rng.normal() }
        // Loss = Σ logits·r; BN momentum 0 so the FD forwards do not drift the running stats.
        for b in net.batchNorms { b.momentum = 0 }
        net.store.zeroGrads()
        let y = try net.forward(x)
        net.backward(Tensor(y.shape, values: r))
        let names = ["conv1.weight", "bn1.weight", "layer1.0.conv2.weight", "layer2.0.downsample.0.weight",
                     "layer2.1.bn1.bias", "layer4.0.conv1.weight", "gff.gate1", "gff.gate3", "gff.gate4",
                     "decoder.blocks.0.conv1.weight", "decoder.blocks.3.bn2.weight", "decoder.blocks.4.conv2.weight",
                     "classifier.weight", "classifier.bias"]
        // Directional derivative along random directions (whole net, then per tensor): per-element FD
        // through a deep ReLU/BN net is dominated by kinks; the layers have exact per-element checks.
        let all = GradientCheck.bestDirectionalError(store: net.store, names: nil) { GradientCheck.dot(try! net.forward(x), r) }
        #expect(all.0 < 0.05, "whole net: analytic \(all.1) numeric \(all.2)")
        for name in names {
            let e = GradientCheck.bestDirectionalError(store: net.store, names: [name]) { GradientCheck.dot(try! net.forward(x), r) }
            #expect(e.0 < 0.05, "\(name): analytic \(e.1) numeric \(e.2)")
        }
    }

    @Test func sslNetWithNTXentGradientsMatchFiniteDifferences() throws {
        let net = try SSLNet(config: Self.tinyConfig(), seed: 4)
        for b in net.batchNorms { b.momentum = 0 }
        let x = Self.randomTensor([6, 1, 64, 64], seed: 6)
        net.store.zeroGrads()
        let z = try net.forward(x)
        let (_, dz) = NTXentLoss.compute(z, temperature: 0.5)
        net.backward(dz)
        let names = ["conv1.weight", "layer1.0.conv1.weight", "layer3.0.bn2.weight", "layer4.0.downsample.0.weight",
                     "gff.gate1", "gff.gate2", "gff.gate4", "projector.0.weight", "projector.1.weight", "projector.3.bias"]
        let loss = { NTXentLoss.compute(try! net.forward(x), temperature: 0.5).loss }
        let all = GradientCheck.bestDirectionalError(store: net.store, names: nil, loss: loss)
        #expect(all.0 < 0.05, "whole net: analytic \(all.1) numeric \(all.2)")
        for name in names {
            let e = GradientCheck.bestDirectionalError(store: net.store, names: [name], loss: loss)
            #expect(e.0 < 0.05, "\(name): analytic \(e.1) numeric \(e.2)")
        }
    }
}
