import Foundation
import Testing
@testable import MatSSLLite

@Suite struct LossTests {
    /// Hand-computed case: 4 views in 2-D, temperature 1.
    @Test func ntXentMatchesHandComputedValue() {
        let z = Tensor([4, 2], values: [1, 0, 0, 1, 1, 0, -1, 0])
        // u = z (unit rows). Row 0: sims to 1,2,3 = 0, 1, -1; positive = row 2 (i + n).
        // l0 = -1 + log(e^0 + e^1 + e^-1); row 1: sims 0 (r0), 0 (r2), 0 (r3); pos = r3 → 0 + log 3
        // row 2: sims 1 (r0), 0 (r1), -1 (r3); pos = r0 → -1 + log(e + 1 + e^-1)
        // row 3: sims -1 (r0), 0 (r1), -1 (r2); pos = r1 → 0 + log(1 + 2 e^-1)
        let e = M_E
        let expected = ((-1 + log(1 + e + 1 / e)) + log(3.0) + (-1 + log(e + 1 + 1 / e)) + log(1 + 2 / e)) / 4
        let (loss, grad) = NTXentLoss.compute(z, temperature: 1)
        #expect(abs(loss - expected) < 1e-9)
        // Gradient vs central differences.
        for i in 0..<8 {
            let old = z[i]
            z[i] = old + 1e-3; let lp = NTXentLoss.compute(z, temperature: 1).loss
            z[i] = old - 1e-3; let lm = NTXentLoss.compute(z, temperature: 1).loss
            z[i] = old
            #expect(abs((lp - lm) / 2e-3 - Double(grad[i])) < 1e-3, "dz[\(i)]")
        }
    }

    @Test func ntXentGradientAtLowTemperature() {
        var rng = RandomState(seed: 3)
        let z = Tensor([6, 5], values: (0..<30).map { _ in rng.normal() })
        let (_, g) = NTXentLoss.compute(z, temperature: 0.07)
        for i in stride(from: 0, to: 30, by: 4) {
            let old = z[i]
            z[i] = old + 1e-3; let lp = NTXentLoss.compute(z, temperature: 0.07).loss
            z[i] = old - 1e-3; let lm = NTXentLoss.compute(z, temperature: 0.07).loss
            z[i] = old
            let num = (lp - lm) / 2e-3
            #expect(abs(num - Double(g[i])) / max(abs(num), 0.1) < 0.02, "dz[\(i)] \(g[i]) vs \(num)")
        }
    }

    /// Dice weight 1 (the default), a partial weight, and 0 (cross-entropy alone).
    @Test(arguments: [Float(1), 0.3, 0])
    func diceCrossEntropyGradientMatchesFiniteDifferences(diceWeight: Float) {
        var rng = RandomState(seed: 5)
        let logits = Tensor([2, 3, 4, 5], values: (0..<120).map { _ in rng.normal() })
        var labels = (0..<40).map { _ in UInt8(rng.int(3)) }
        labels[3] = 255; labels[17] = 255
        var lossFn = SegmentationLoss(classes: 3, classWeights: [0.5, 1, 2])
        lossFn.ignoreIndex = 255
        lossFn.diceWeight = diceWeight
        let r = lossFn.compute(logits: logits, labels: labels)
        #expect(r.loss.isFinite && r.ce > 0 && r.dice > 0 && r.dice < 1)
        #expect(abs(r.loss - (r.ce + Double(diceWeight) * r.dice)) < 1e-12)
        for i in 0..<120 {
            let old = logits[i]
            logits[i] = old + 1e-2; let lp = lossFn.compute(logits: logits, labels: labels).loss
            logits[i] = old - 1e-2; let lm = lossFn.compute(logits: logits, labels: labels).loss
            logits[i] = old
            let num = (lp - lm) / 2e-2
            #expect(abs(num - Double(r.grad[i])) < 2e-4 + 0.02 * abs(num), "dlogit[\(i)] \(r.grad[i]) vs \(num)")
        }
        // Ignored pixels get no gradient.
        for ch in 0..<3 { #expect(r.grad[ch * 20 + 3] == 0) }
    }

    @Test func metricsFollowPaperConvention() {
        var m = SegmentationMetrics(classes: 5)
        m.add(predicted: [0, 0, 1, 1, 2, 3, 4, 4], truth: [0, 1, 1, 1, 2, 2, 4, 3])
        let iou = m.iou
        #expect(iou[0]! == 0.5 && abs(iou[1]! - 2.0 / 3) < 1e-12 && iou[2]! == 0.5 && iou[3]! == 0 && iou[4]! == 0.5)
        #expect(abs(m.paperMeanIoU! - (0.5 + 2.0 / 3 + 0.5 + 0.5) / 4) < 1e-12)
        #expect(abs(m.pixelAccuracy - 5.0 / 8) < 1e-12)
    }
}
