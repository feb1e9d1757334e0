import MatSSLLite

/// Classical baseline: a global two-class Otsu threshold (Otsu 1979) on a 256-bin histogram of the
/// gray values. Class 0 = darker phase, class 1 = brighter phase. Honest about what it is: no
/// learning, no texture, one threshold per image — a floor the learned model must beat, and an engine
/// that lets the daemon run before the int8 model exists.
final class OtsuSegmenter: ImageSegmenter {
    let modelName = "otsu-baseline"
    let modelVersion = "1"
    let classNames = ["dark", "bright"]
    let palette = [RGB8(r: 40, g: 70, b: 200), RGB8(r: 240, g: 200, b: 40)]

    /// Histogram bins over [0, 1].
    static let bins = 256

    func segment(_ image: GrayImage) throws -> LabelMask {
        let threshold = Self.threshold(image.pixels)
        var labels = [UInt8](repeating: 0, count: image.pixels.count)
        image.pixels.withUnsafeBufferPointer { px in
            labels.withUnsafeMutableBufferPointer { out in
                for i in 0..<px.count where px[i] > threshold { out[i] = 1 }
            }
        }
        return LabelMask(width: image.width, height: image.height, labels: labels)
    }

    /// The Otsu threshold of `pixels` (values clamped to [0, 1]): the upper edge of the bin that
    /// maximises the between-class variance. Pixels > threshold are class 1. A constant image gives
    /// its own value (everything class 0).
    static func threshold(_ pixels: [Float]) -> Float {
        var histogram = [Int](repeating: 0, count: bins)
        pixels.withUnsafeBufferPointer { px in
            for v in px {
                let c = v.isNaN ? 0 : min(max(v, 0), 1)
                histogram[min(bins - 1, Int(c * Float(bins)))] += 1
            }
        }
        let total = Double(pixels.count)
        guard total > 0 else { return 0.5 }
        var sumAll = 0.0
        for i in 0..<bins { sumAll += Double(i) * Double(histogram[i]) }
        var weightBelow = 0.0, sumBelow = 0.0, best = -1.0, bestIndex = 0
        for i in 0..<bins {
            weightBelow += Double(histogram[i])
            if weightBelow == 0 { continue }
            let weightAbove = total - weightBelow
            if weightAbove == 0 { break }
            sumBelow += Double(i) * Double(histogram[i])
            let meanBelow = sumBelow / weightBelow
            let meanAbove = (sumAll - sumBelow) / weightAbove
            let between = weightBelow * weightAbove * (meanBelow - meanAbove) * (meanBelow - meanAbove)
            if between > best { best = between; bestIndex = i }
        }
        if best < 0 { return pixels.max() ?? 0.5 } // a single occupied bin: constant image
        return Float(bestIndex + 1) / Float(bins)
    }
}
