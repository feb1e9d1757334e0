import Foundation
import QuantKernels

/// Per-image intensity standardisation (`ModelConfig.standardizeIntensity`): before a model sees
/// an image, its 8-bit grey values v are re-mapped by a per-image table so that the image's mean
/// and standard deviation become the model's normalisation `mean` and `std`:
///
///     v' = clamp(round(((v/255 − m)·g + t_m)·255), 0, 255),  g = t_s / max(s, `minimumStd`)
///
/// m, s = the image's mean and (population) standard deviation of v/255 over all its pixels; t_m,
/// t_s = `targetMean`, `targetStd`. After the network's own `(x − mean)/std` every image is then
/// zero-mean, unit-variance: brightness and contrast differences between micrographs (MetalDAM's
/// labeled images span 80–125 in mean grey and 23–44 in standard deviation) no longer reach it.
///
/// The same table is used in training (on `TrainImage`'s 8-bit pixels), calibration, fp32 and int8
/// inference, so all of them see identical values. Statistics are taken from the 8-bit values the
/// int8 path uses (`qk_f32_unit_to_u8` rounding, identical to `TrainImage`'s).
public struct IntensityStandardization: Equatable, Sendable {
    public var targetMean: Float
    public var targetStd: Float
    /// Floor of the measured standard deviation (in [0, 1] units): a nearly flat image is
    /// stretched at most t_s / 0.01 (≈ 12× for MetalDAM's std), not without bound.
    public static let minimumStd: Double = 0.01

    public init(targetMean: Float, targetStd: Float) {
        self.targetMean = targetMean; self.targetStd = targetStd
    }

    /// The standardisation a model asks for, or nil when its config does not.
    public init?(config: ModelConfig) {
        guard config.standardizeIntensity else { return nil }
        self.init(targetMean: config.mean, targetStd: config.std)
    }

    /// Running sums over 8-bit grey values.
    public struct Statistics: Equatable, Sendable {
        public private(set) var count = 0
        private var histogram = [Int](repeating: 0, count: 256)

        public init() {}

        public mutating func add(_ values: UnsafeBufferPointer<UInt8>) {
            count += values.count
            histogram.withUnsafeMutableBufferPointer { h in for v in values { h[Int(v)] += 1 } }
        }

        public mutating func add(_ values: [UInt8]) { values.withUnsafeBufferPointer { add($0) } }

        /// Adds unit-range floats after the int8 path's rounding to 8 bits.
        public mutating func add(unit values: UnsafeBufferPointer<Float>) {
            var row = [UInt8](repeating: 0, count: values.count)
            qk_f32_unit_to_u8(values.baseAddress, values.count, &row)
            add(row)
        }

        /// Mean of v/255 (0 for no pixels).
        public var mean: Double {
            guard count > 0 else { return 0 }
            var s = 0.0
            for v in 0..<256 { s += Double(v * histogram[v]) }
            return s / Double(count) / 255
        }

        /// Population standard deviation of v/255 (0 for no pixels).
        public var standardDeviation: Double {
            guard count > 0 else { return 0 }
            let m = mean * 255
            var ss = 0.0
            for v in 0..<256 where histogram[v] > 0 { ss += Double(histogram[v]) * (Double(v) - m) * (Double(v) - m) }
            return (ss / Double(count)).squareRoot() / 255
        }
    }

    /// The 256-entry re-mapping table for an image with statistics `stats`.
    public func table(for stats: Statistics) -> [UInt8] {
        let m = stats.mean, g = Double(targetStd) / max(stats.standardDeviation, Self.minimumStd)
        let t = Double(targetMean)
        return (0..<256).map { v in
            let y = ((Double(v) / 255 - m) * g + t) * 255
            return UInt8(max(0, min(255, y.rounded())))
        }
    }

    /// The table for 8-bit `pixels` (statistics over all of them).
    public func table(for pixels: [UInt8]) -> [UInt8] {
        var s = Statistics()
        s.add(pixels)
        return table(for: s)
    }

    /// 8-bit pixels re-mapped by their own table.
    public func apply(_ pixels: [UInt8]) -> [UInt8] {
        let lut = table(for: pixels)
        return pixels.map { lut[Int($0)] }
    }

    /// Unit-range pixels → rounded to 8 bits, re-mapped by their own table, back to v'/255 (the
    /// values fp32 inference and calibration feed the network).
    public func apply(unit pixels: [Float]) -> [Float] {
        var u8 = [UInt8](repeating: 0, count: pixels.count)
        qk_f32_unit_to_u8(pixels, pixels.count, &u8)
        return apply(u8).map { Float($0) / 255 }
    }

    /// A training image re-mapped by its own table (labels unchanged).
    public func apply(_ image: TrainImage) -> TrainImage {
        TrainImage(name: image.name, width: image.width, height: image.height, pixels: apply(image.pixels), labels: image.labels)
    }

    /// Statistics of the first `rows` rows (nil: all) of an image streamed from `path` (one extra
    /// decoding pass, rows in bands so memory stays bounded) — for streamed inference, which needs
    /// them before its first tile.
    public static func statistics(path: String, limits: DecodeLimits, rows: Int? = nil) throws -> Statistics {
        let reader = try ImageDecoder.decodeRows(path: path, limits: limits)
        var s = Statistics()
        let h = min(rows ?? reader.info.height, reader.info.height)
        let w = reader.info.width, band = max(1, min(h, (1 << 20) / max(w, 1)))
        var buffer = [Float](repeating: 0, count: band * w)
        var y = 0
        while y < h {
            let n = min(band, h - y)
            try buffer.withUnsafeMutableBufferPointer { try reader.readRows(n, into: $0) }
            buffer.withUnsafeBufferPointer { s.add(unit: UnsafeBufferPointer(rebasing: $0[0..<(n * w)])) }
            y += n
        }
        return s
    }
}
