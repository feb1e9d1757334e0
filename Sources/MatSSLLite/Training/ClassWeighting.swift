import Foundation

/// How fine-tuning weights each class in the cross-entropy.
///
/// A class-weighted cross-entropy is minimised by q_c(x) ∝ w_c · p(c | x), not by the posterior
/// p(c | x): weighting rare classes up makes the network call them more often than they occur. That
/// helps their recall (and mIoU) but biases area fractions towards them; `LogitAdjustment` undoes
/// the shift at inference by adding −log w_c to the logits.
public enum ClassWeighting: String, CaseIterable, Sendable {
    /// 1/√(pixel frequency), normalised to mean 1 over the classes present, capped at 10.
    case inverseSqrt = "inverse-sqrt"
    /// Every class weight 1.
    case uniform

    /// Per-class weights `[classes]` for the label maps `labels` (class ids; ids ≥ classes, e.g.
    /// ignore, skipped). Classes absent from the labels get weight 0 under inverse-sqrt.
    public func weights(labels: [[UInt8]], classes: Int) -> [Double] {
        switch self {
        case .uniform:
            return [Double](repeating: 1, count: classes)
        case .inverseSqrt:
            var freq = [Double](repeating: 0, count: classes)
            for map in labels { for l in map where Int(l) < classes { freq[Int(l)] += 1 } }
            return Self.inverseSqrt(frequencies: freq)
        }
    }

    /// Weights for the pixel counts `frequencies` `[classes]` (inverse-sqrt rule).
    public static func inverseSqrt(frequencies freq: [Double]) -> [Double] {
        let total = max(freq.reduce(0, +), 1)
        let w = freq.map { $0 > 0 ? 1 / ($0 / total).squareRoot() : 0 }
        let mean = w.reduce(0, +) / Double(max(w.filter { $0 > 0 }.count, 1))
        return w.map { min($0 / mean, 10) }
    }

    /// Comma-separated weights, as stored in checkpoint provenance ("classWeights").
    public static func format(_ w: [Float]) -> String {
        w.map { String($0) }.joined(separator: ",")
    }

    /// Parses `format`'s output (or a user's list); nil when malformed or not `classes` long.
    public static func parse(_ s: String, classes: Int) -> [Float]? {
        let v = s.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
        guard v.count == classes, v.allSatisfy({ $0 != nil && $0!.isFinite && $0! >= 0 }) else { return nil }
        return v.map { $0! }
    }
}
