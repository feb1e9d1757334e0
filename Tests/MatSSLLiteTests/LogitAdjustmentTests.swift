import Foundation
import Testing
@testable import MatSSLLite

@Suite struct LogitAdjustmentTests {
    @Test func offsetsAreMinusTauLogWeightCentred() {
        let a = LogitAdjustment(tau: 0.5, classWeights: [1, 4, 0, 0.25])
        // −0.5·log w = 0, −0.693, –, +0.693; mean over present classes 0; absent class 0.
        let o = a.offsets
        #expect(abs(o[0]) < 1e-6 && abs(o[1] + 0.5 * log(4)) < 1e-6 && o[2] == 0 && abs(o[3] - 0.5 * log(4)) < 1e-6)
        #expect(LogitAdjustment(tau: 0, classWeights: [1, 4]).offsets == [0, 0])
        #expect(LogitAdjustment(tau: 1, classWeights: [0, 0]).offsets == [0, 0])
    }

    /// The principle, held to the real loss: a free logit vector trained with the class-weighted
    /// cross-entropy on labels drawn with frequencies p ends at softmax ∝ w·p (rare class over-called);
    /// with the τ = 1 offsets added it gives back p.
    @Test func correctionUndoesTheWeightedLossBias() {
        let p: [Double] = [0.6, 0.3, 0.1]
        let labels = (0..<100).map { UInt8($0 < 60 ? 0 : $0 < 90 ? 1 : 2) }
        let w = ClassWeighting.inverseSqrt.weights(labels: [labels], classes: 3).map { Float($0) }
        var loss = SegmentationLoss(classes: 3, classWeights: w)
        loss.diceWeight = 0
        var z: [Float] = [0, 0, 0]
        for _ in 0..<3000 {
            let logits = Tensor([1, 3, 1, 100])
            for c in 0..<3 { for q in 0..<100 { logits.data[c * 100 + q] = z[c] } }
            let g = loss.compute(logits: logits, labels: labels).grad
            for c in 0..<3 { z[c] -= 2 * (0..<100).reduce(0) { $0 + g.data[c * 100 + $1] } }
        }
        func softmax(_ v: [Float]) -> [Double] {
            let e = v.map { exp(Double($0 - v.max()!)) }; let s = e.reduce(0, +); return e.map { $0 / s }
        }
        let biased = softmax(z)
        let wp = zip(w, p).map { Double($0) * $1 }, s = wp.reduce(0, +)
        for c in 0..<3 { #expect(abs(biased[c] - wp[c] / s) < 1e-3, "class \(c): \(biased[c]) vs w·p \(wp[c] / s)") }
        #expect(biased[2] > 0.15, "the weighted loss over-calls the rare class (\(biased[2]) vs 0.1)")
        let corrected = softmax(zip(z, LogitAdjustment(tau: 1, classWeights: w).offsets).map { $0 + $1 })
        for c in 0..<3 { #expect(abs(corrected[c] - p[c]) < 1e-3, "class \(c): \(corrected[c]) vs p \(p[c])") }
    }

    /// Applied to a network, every pixel's logits move by exactly the offsets; the int8 model made
    /// from the adjusted network records the correction in its file.
    @Test func applyShiftsTheNetworkLogits() throws {
        let net = try makeTestSegmentationNet()
        let x = makeTestImage(height: 64, width: 64, seed: 5)
        net.training = false
        let before = try net.forward(x)
        let k = net.numClasses
        let adj = LogitAdjustment(tau: 1, classWeights: (0..<k).map { Float($0 + 1) })
        try adj.apply(to: net)
        let after = try net.forward(x)
        let o = adj.offsets, plane = before.plane
        var worst: Float = 0
        for c in 0..<k { for q in 0..<plane { worst = max(worst, abs(after.data[c * plane + q] - before.data[c * plane + q] - o[c])) } }
        #expect(worst < 1e-4, "logits moved by the offsets ± \(worst)")
        #expect { try LogitAdjustment(tau: 1, classWeights: [1, 2]).apply(to: net) } throws: { "\($0)".contains("classes") }

        var options = Quantizer.Options()
        options.method = .percentile
        let prov = QuantizationProvenance(method: .percentile, percentile: options.percentile, calibrationImages: ["synthetic"],
                                          sourceCheckpoint: "test", sourceCheckpointSHA256: "", created: "now", logitAdjustment: adj)
        let model = try Quantizer.quantize(net: net, calibration: [x], options: options, provenance: prov)
        let path = NSTemporaryDirectory() + "logit-adjust-\(getpid()).int8.safetensors"
        defer { unlink(path) }
        try QuantizedModelFile.save(model, to: path)
        #expect(try QuantizedModelFile.load(path: path).info.provenance.logitAdjustment == adj)
    }

    /// Files written before the field existed still load, with no correction recorded.
    @Test func provenanceWithoutTheFieldDecodes() throws {
        let json = #"{"method":"percentile","percentile":99.99,"calibrationImages":[],"sourceCheckpoint":"a","sourceCheckpointSHA256":"","created":"x"}"#
        let p = try JSONDecoder().decode(QuantizationProvenance.self, from: Data(json.utf8))
        #expect(p.logitAdjustment == nil && p.method == .percentile)
    }
}
