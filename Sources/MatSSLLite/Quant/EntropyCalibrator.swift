import Foundation

/// KL-divergence ("entropy") calibration as in TensorRT's int8 calibrator.
///
/// For each candidate threshold bin `i` (from `levels` up to the histogram's size) the reference
/// distribution P is the histogram's first `i` bins with everything beyond folded into bin `i-1`;
/// Q is the first `i` bins *without* the folded outliers, merged into `levels` groups and spread back
/// uniformly over each group's non-empty bins (so clipping mass shows up as divergence).
/// The threshold with the smallest KL(P‖Q) wins.
enum EntropyCalibrator {
    /// - Parameters:
    ///   - histogram: counts of |x| over `[0, limit]`, equal-width bins.
    ///   - levels: quantization levels available (255 for u8 with zero point 0).
    /// - Returns: the clipping threshold in the histogram's units.
    static func threshold(histogram: [Double], limit: Float, levels: Int) -> Float {
        let n = histogram.count
        guard n > levels else { return limit }
        let total = histogram.reduce(0, +)
        guard total > 0 else { return limit }
        var bestKL = Double.infinity
        var bestBin = n
        var p = [Double](repeating: 0, count: n)
        var q = [Double](repeating: 0, count: n)
        // Suffix sums give the outlier mass folded into the last kept bin in O(1).
        var suffix = [Double](repeating: 0, count: n + 1)
        for i in stride(from: n - 1, through: 0, by: -1) { suffix[i] = suffix[i + 1] + histogram[i] }
        for i in stride(from: levels, through: n, by: 1) {
            for j in 0..<i { p[j] = histogram[j] }
            p[i - 1] += suffix[i]
            // Merge the i bins into `levels` groups, then expand back over non-empty bins.
            for g in 0..<levels {
                let start = g * i / levels
                let end = (g + 1) * i / levels
                var mass = 0.0
                var nonEmpty = 0
                for j in start..<end where histogram[j] != 0 {
                    mass += histogram[j]
                    nonEmpty += 1
                }
                let share = nonEmpty > 0 ? mass / Double(nonEmpty) : 0
                for j in start..<end { q[j] = (p[j] != 0) ? share : 0 }
            }
            var kl = 0.0
            var pSum = 0.0, qSum = 0.0
            for j in 0..<i { pSum += p[j]; qSum += q[j] }
            guard pSum > 0, qSum > 0 else { continue }
            for j in 0..<i where p[j] > 0 {
                let pj = p[j] / pSum
                let qj = q[j] / qSum
                kl += qj > 0 ? pj * log(pj / qj) : pj * 50  // a kept value mapped to nothing: heavy penalty
            }
            if kl < bestKL {
                bestKL = kl
                bestBin = i
            }
        }
        return Float(bestBin) * limit / Float(n)
    }
}
