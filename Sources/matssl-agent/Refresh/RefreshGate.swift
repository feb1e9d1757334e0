import Foundation

/// Held-out accuracy of one int8 model: per-class IoU (nil where a class is absent from both truth
/// and prediction), mean IoU over the classes that have one, and int8/fp32 pixel agreement.
struct ModelScore: Codable, Equatable, Sendable {
    var version: String
    var classIoU: [Double?]
    var meanIoU: Double
    /// MetalDAM convention (5 classes): mean over classes 0, 1, 2, 4; reported, not gated on.
    var paperMeanIoU: Double?
    var pixelAccuracy: Double
    var agreement: Double?
    var fp32MeanIoU: Double?
}

/// The promotion rule: the candidate is promoted only if, on the held-out split, in int8,
/// 1. its mean IoU is not lower than the current model's,
/// 2. no class IoU drops by more than `maxClassDrop` (a class absent from the truth and not predicted
///    counts as IoU 1, so predicting an absent class is a drop),
/// 3. its int8/fp32 pixel agreement is at least `minAgreement`.
struct RefreshGate: Sendable {
    var maxClassDrop: Double = 0.01
    var minAgreement: Double = 0.97

    struct Decision: Codable, Equatable, Sendable {
        var promote: Bool
        var reasons: [String]
    }

    func decide(current: ModelScore, candidate: ModelScore, classNames: [String]) -> Decision {
        var reasons: [String] = []
        guard current.classIoU.count == candidate.classIoU.count else {
            return Decision(promote: false, reasons: ["class count differs (\(current.classIoU.count) vs \(candidate.classIoU.count))"])
        }
        if !candidate.meanIoU.isFinite || candidate.meanIoU < current.meanIoU {
            reasons.append(String(format: "mIoU dropped: %.4f -> %.4f", current.meanIoU, candidate.meanIoU))
        }
        for (i, (b, a)) in zip(current.classIoU, candidate.classIoU).enumerated() {
            let name = i < classNames.count ? classNames[i] : "class \(i)"
            // nil: the class is absent from the held-out truth and not predicted, i.e. perfect (1).
            let before = b ?? 1, after = a ?? 1
            if after < before - maxClassDrop - 1e-12 {
                reasons.append(String(format: "IoU of %@ dropped by %.2f points (%.4f -> %.4f; limit %.2f)", name, (before - after) * 100,
                                      before, after, maxClassDrop * 100))
            }
        }
        if let ag = candidate.agreement {
            if ag < minAgreement { reasons.append(String(format: "int8/fp32 agreement %.4f below %.4f", ag, minAgreement)) }
        } else {
            reasons.append("int8/fp32 agreement not measured")
        }
        if reasons.isEmpty {
            return Decision(promote: true, reasons: [String(format: "mIoU %.4f -> %.4f, no class dropped more than %.2f points, agreement %.4f",
                                                            current.meanIoU, candidate.meanIoU, maxClassDrop * 100, candidate.agreement ?? 0)])
        }
        return Decision(promote: false, reasons: reasons)
    }
}
