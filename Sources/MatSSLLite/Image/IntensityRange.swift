/// The raw sample values of a micrograph that map to intensity 0 and 1 (the network's input range),
/// and why those values were chosen. Raw units are the file's: 0…65535 for 16-bit samples, the
/// stored floats for floating-point TIFFs, colour-map units (0…65535) for palette TIFFs.
public struct IntensityRange: Codable, Equatable, Sendable {
    public var low: Double
    public var high: Double
    public var source: IntensitySource

    public init(low: Double, high: Double, source: IntensitySource) {
        self.low = low
        self.high = high
        self.source = source
    }
}

/// Where an `IntensityRange` came from (written as `intensity_source` in `X.stats.json` and by `inspect`).
public enum IntensitySource: String, Codable, Sendable {
    /// Full scale of the storage: 0…2ⁿ−1 for n-bit integers, 0…1 for floats.
    case storage
    /// The file's MinSampleValue/MaxSampleValue (or SMin/SMaxSampleValue) TIFF tags.
    case fileTag = "file-tag"
    /// 0…2ᵇ−1 for the smallest common detector depth b (8, 10, 12, 14, 16 bits) holding the
    /// image's largest value: 12-bit camera data in a 16-bit file maps as 12-bit. Float or 32-bit
    /// data beyond 16 bits: 0…its largest value.
    case dataMaximum = "data-maximum"
    /// The image's own smallest and largest value (signed or float data with negative values).
    case dataMinMax = "data-min-max"
    /// `[image] intensity_range` or `--intensity-range`.
    case config
}
