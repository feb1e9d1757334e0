import Foundation

/// Fine-tuning's random brightness/contrast change of a crop.
///
/// With probability `probability`, a crop x `[n]` (values in 0…1) becomes
/// `clamp(((x − m)·c + m)·b, 0, 1)`, m = the crop's mean, c ~ U(`contrast`), b ~ U(`brightness`).
/// MetalDAM's labeled micrographs span 80–125 in mean grey and 23–44 in standard deviation
/// (1.56× and 1.9×); `mild` spans 1.35× of each, `strong` about 1.9× and 2.3×.
public enum IntensityJitter: String, CaseIterable, Sendable {
    /// p 0.5, brightness and contrast × U(0.85, 1.15) (the recipe of the shipped models).
    case mild
    /// p 0.8, brightness × U(0.7, 1.3), contrast × U(0.65, 1.5).
    case strong

    public var probability: Float { self == .mild ? 0.5 : 0.8 }
    public var brightness: ClosedRange<Float> { self == .mild ? 0.85...1.15 : 0.7...1.3 }
    public var contrast: ClosedRange<Float> { self == .mild ? 0.85...1.15 : 0.65...1.5 }

    /// Applies the jitter in place to `x` `[n]`; draws from `rng` in a fixed order (one Bernoulli,
    /// then brightness, then contrast when it fires), so a crop depends only on the rng state.
    public func apply(_ x: UnsafeMutablePointer<Float>, count n: Int, rng: inout RandomState) {
        guard rng.bool(probability) else { return }
        let b = rng.uniform(brightness.lowerBound, brightness.upperBound)
        let c = rng.uniform(contrast.lowerBound, contrast.upperBound)
        var mean: Float = 0
        for i in 0..<n { mean += x[i] }
        mean /= Float(max(n, 1))
        for i in 0..<n { x[i] = min(max(((x[i] - mean) * c + mean) * b, 0), 1) }
    }
}
