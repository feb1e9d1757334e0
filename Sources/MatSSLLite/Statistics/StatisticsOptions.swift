/// What `PhaseStatistics.compute` measures and how (usually from the site config).
public struct StatisticsOptions: Codable, Equatable, Sendable {
    /// Classes (by name) whose pixels delineate grains (e.g. "grain_boundary"); each gets an
    /// ASTM E112 intercept measurement.
    public var grainBoundaryClasses: [String]
    /// Rows cropped from the bottom of the mask before any statistic (SEM data bar).
    public var dataBarRows: Int
    /// Where `dataBarRows` came from (recorded in the statistics).
    public var dataBarSource: DataBarSource = .config
    /// Bins of each ECD histogram, from 0 to `histogramUpperEdge`.
    public var histogramBinCount: Int
    /// Upper edge of the ECD histograms in the distribution's unit (µm with a pixel size, else px);
    /// nil: the largest ECD of that class. Fix it to make histograms comparable across images;
    /// larger values are counted in `overflow`.
    public var histogramUpperEdge: Double?
    /// Horizontal (and as many vertical) test lines for the intercept method.
    public var interceptLinesPerDirection: Int
    /// Classes (by name) for which no objects are labelled (e.g. a continuous matrix).
    public var skipObjectClasses: [String]

    public init(grainBoundaryClasses: [String] = [], dataBarRows: Int = 0,
                histogramBinCount: Int = 10, histogramUpperEdge: Double? = nil,
                interceptLinesPerDirection: Int = 10, skipObjectClasses: [String] = []) {
        self.grainBoundaryClasses = grainBoundaryClasses
        self.dataBarRows = dataBarRows
        self.histogramBinCount = histogramBinCount
        self.histogramUpperEdge = histogramUpperEdge
        self.interceptLinesPerDirection = interceptLinesPerDirection
        self.skipObjectClasses = skipObjectClasses
    }
}

/// Facts about the image and its processing that the caller knows and the statistics record.
public struct ImageProvenance: Codable, Equatable, Sendable {
    /// File name (or path relative to the watched folder).
    public var image: String
    /// Hex SHA-256 of the image file.
    public var imageSHA256: String
    public var modelName: String
    public var modelVersion: String
    /// Named timings in milliseconds (e.g. "decode", "inference", "statistics").
    public var timingsMs: [String: Double]
    /// Test-time augmentation the mask was made with (`TestTimeAugmentation` raw value); nil in
    /// files written before it was recorded, and for engines without it.
    public var testTimeAugmentation: String?
    /// The raw sample values read as intensity 0 and 1, and why (`IntensityPolicy`); nil in files
    /// written before it was recorded.
    public var intensityRange: IntensityRange?

    public init(image: String, imageSHA256: String = "", modelName: String = "",
                modelVersion: String = "", timingsMs: [String: Double] = [:], testTimeAugmentation: String? = nil,
                intensityRange: IntensityRange? = nil) {
        self.image = image; self.imageSHA256 = imageSHA256
        self.modelName = modelName; self.modelVersion = modelVersion; self.timingsMs = timingsMs
        self.testTimeAugmentation = testTimeAugmentation
        self.intensityRange = intensityRange
    }
}

/// Bad input to the statistics.
public enum StatisticsError: Error, Equatable, CustomStringConvertible {
    case maskSizeMismatch(image: String, expected: Int, actual: Int)
    case dataBarTooTall(image: String, rows: Int, height: Int)
    case unknownClass(image: String, name: String, known: [String])
    case classIndexOutOfRange(image: String, index: Int, classCount: Int)
    case invalidPixelSize(image: String, value: Double)
    case unreadableStatistics(path: String, reason: String)

    public var description: String {
        switch self {
        case let .maskSizeMismatch(image, e, a):
            return "\(image): mask has \(a) labels, expected width*height = \(e)"
        case let .dataBarTooTall(image, r, h):
            return "\(image): data-bar crop of \(r) rows leaves nothing of a \(h)-row image"
        case let .unknownClass(image, n, k):
            return "\(image): configured class '\(n)' is not one of the model's classes \(k)"
        case let .classIndexOutOfRange(image, i, c):
            return "\(image): mask contains class id \(i) but the model has \(c) classes"
        case let .invalidPixelSize(image, v):
            return "\(image): pixel size \(v) µm/px is not a positive finite number"
        case let .unreadableStatistics(path, reason):
            return "\(path): not a readable statistics JSON (\(reason))"
        }
    }
}
