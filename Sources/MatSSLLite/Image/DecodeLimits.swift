/// Limits checked against an image's header before any pixel memory is allocated, and how raw
/// sample values become intensities (`intensity`).
public struct DecodeLimits: Sendable, Equatable {
    /// Largest width × height accepted. Default 268_435_456 (16384²): 1 GiB of Float output.
    public var maxPixels: Int
    /// When true, a file whose extension names a different format than its content is refused with
    /// `ImageError.wrongExtension`. Default false: content decides, `ImageInfo.note` records the mismatch.
    public var requireMatchingExtension: Bool
    /// Which raw values map to intensity 0 and 1 (`IntensityPolicy`; default "auto").
    public var intensity: IntensityPolicy

    public init(maxPixels: Int = 268_435_456, requireMatchingExtension: Bool = false, intensity: IntensityPolicy = .auto) {
        self.maxPixels = maxPixels
        self.requireMatchingExtension = requireMatchingExtension
        self.intensity = intensity
    }

    public static let `default` = DecodeLimits()

    /// These limits with `info`'s resolved intensity range fixed, for a second reader of the same
    /// file (it then skips the data pass "auto" may need, and reads the same intensities).
    public func reusingIntensity(of info: ImageInfo) -> DecodeLimits {
        var l = self
        if let r = info.intensityRange { l.intensity = .fixed(low: r.low, high: r.high) }
        return l
    }
}
