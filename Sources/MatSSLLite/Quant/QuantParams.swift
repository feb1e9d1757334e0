/// Affine u8 quantization of one activation tensor: real = (q − zeroPoint) · scale, q ∈ 0…255.
public struct QuantParams: Codable, Sendable, Equatable {
    public var scale: Float
    public var zeroPoint: Int

    public init(scale: Float, zeroPoint: Int) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    /// Parameters covering [lo, hi] (widened to include 0, so that zero is exact).
    public static func covering(lo: Float, hi: Float) -> QuantParams {
        let l = min(lo, 0), h = max(hi, 0)
        let span = h - l
        guard span > 0, span.isFinite else { return QuantParams(scale: 1, zeroPoint: 0) }
        let scale = span / 255
        let zp = Int((-l / scale).rounded())
        return QuantParams(scale: scale, zeroPoint: min(255, max(0, zp)))
    }
}
