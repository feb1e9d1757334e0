/// How an activation's quantization range is chosen from calibration data.
public enum CalibrationMethod: String, CaseIterable, Codable, Sendable {
    /// The observed minimum and maximum: no clipping, coarsest steps.
    case minmax
    /// A high percentile of |x| (default 99.99): clips rare outliers.
    case percentile
    /// The clipping threshold that minimises the KL divergence between the observed distribution and
    /// its quantized version (TensorRT-style entropy calibration).
    case entropy
}

/// Collects the value distribution of one activation tensor over calibration images.
///
/// Two passes over the calibration set: `observeRange` first (min/max), then `observeHistogram`
/// (a histogram of values over `[0, max(|min|, |max|)]` with `binCount` bins). Ranges are computed
/// from the histogram, so memory is O(binCount) whatever the image sizes.
public struct ActivationObserver: Sendable {
    public private(set) var minValue: Float = .infinity
    public private(set) var maxValue: Float = -.infinity
    public private(set) var histogram: [Double]
    public private(set) var histogramLimit: Float = 0
    public let binCount: Int

    public init(binCount: Int = 2048) {
        self.binCount = binCount
        histogram = [Double](repeating: 0, count: binCount)
    }

    /// Pass 1: widens the observed range to cover `values`.
    public mutating func observeRange(_ values: UnsafeBufferPointer<Float>) {
        var lo = minValue, hi = maxValue
        for v in values where v.isFinite {
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        minValue = lo
        maxValue = hi
    }

    /// Pass 2: adds `values` (by magnitude) to the histogram. Call after every `observeRange` call.
    public mutating func observeHistogram(_ values: UnsafeBufferPointer<Float>) {
        if histogramLimit == 0 { histogramLimit = max(abs(minValue), abs(maxValue), .leastNormalMagnitude) }
        let scale = Float(binCount) / histogramLimit
        let last = binCount - 1
        histogram.withUnsafeMutableBufferPointer { h in
            for v in values where v.isFinite {
                let b = Int(abs(v) * scale)
                h[b < last ? b : last] += 1
            }
        }
    }

    /// True when the tensor never went negative (e.g. after ReLU): quantize as u8 with zero point 0.
    public var isNonNegative: Bool { minValue >= 0 }

    /// The clipping threshold on |x| chosen by `method`.
    /// - Parameters:
    ///   - percentile: for `.percentile`, the share of |x| kept below the threshold (0–100).
    ///   - levels: quantization levels of the target type (255 for u8).
    public func threshold(method: CalibrationMethod, percentile: Double = 99.99, levels: Int = 255) -> Float {
        let absMax = max(abs(minValue), abs(maxValue))
        guard absMax.isFinite, absMax > 0 else { return 1 }
        switch method {
        case .minmax:
            return absMax
        case .percentile:
            let total = histogram.reduce(0, +)
            guard total > 0 else { return absMax }
            let target = total * percentile / 100
            var acc = 0.0
            for (i, c) in histogram.enumerated() {
                acc += c
                if acc >= target { return min(absMax, Float(i + 1) * histogramLimit / Float(binCount)) }
            }
            return absMax
        case .entropy:
            return EntropyCalibrator.threshold(histogram: histogram, limit: histogramLimit, levels: levels)
        }
    }
}
