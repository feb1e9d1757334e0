/// Statistics of one segmented image (written as `X.stats.json`, snake_case keys).
/// Keys carry their unit: `_px` pixels, `_um` µm, `_um2` µm², `_per_mm2`. Keys in µm are absent
/// when the pixel size is unknown.
public struct ImageStatistics: Codable, Equatable, Sendable {
    public static let schemaVersion = 1
    public var schemaVersion: Int = ImageStatistics.schemaVersion
    public var provenance: ImageProvenance
    public var widthPx: Int
    public var heightPx: Int
    /// Rows cropped at the bottom (SEM data bar) before the statistics.
    public var dataBarRowsCropped: Int
    /// Where that height came from (nil in files written before session 11).
    public var dataBarSource: DataBarSource? = nil
    public var analysedHeightPx: Int
    public var analysedAreaPx: Int
    public var analysedAreaUm2: Double?
    public var pixelSizeUm: Double?
    public var pixelSizeSource: PixelSizeSource
    /// "um" when the pixel size is known, else "px".
    public var lengthUnit: String
    public var classes: [ClassStatistics]
    public var grainSize: [InterceptMeasurement]

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", provenance
        case widthPx = "width_px", heightPx = "height_px"
        case dataBarRowsCropped = "data_bar_rows_cropped", dataBarSource = "data_bar_source"
        case analysedHeightPx = "analysed_height_px"
        case analysedAreaPx = "analysed_area_px", analysedAreaUm2 = "analysed_area_um2"
        case pixelSizeUm = "pixel_size_um", pixelSizeSource = "pixel_size_source"
        case lengthUnit = "length_unit", classes, grainSize = "grain_size"
    }
}

extension ImageProvenance {
    enum CodingKeys: String, CodingKey {
        case image, imageSHA256 = "image_sha256", modelName = "model_name"
        case modelVersion = "model_version", timingsMs = "timings_ms"
        case testTimeAugmentation = "test_time_augmentation", intensityRange = "intensity_range"
    }
}

/// Per-class statistics of one image.
public struct ClassStatistics: Codable, Equatable, Sendable {
    public var classIndex: Int
    public var className: String
    public var areaPx: Int
    /// areaPx / analysed area (0…1).
    public var areaFraction: Double
    public var areaUm2: Double?
    /// Nil when the class is configured in `skipObjectClasses`.
    public var objects: ObjectStatistics?

    enum CodingKeys: String, CodingKey {
        case classIndex = "class_index", className = "class_name", areaPx = "area_px"
        case areaFraction = "area_fraction", areaUm2 = "area_um2", objects
    }
}

/// Connected objects (8-connectivity) of one class.
/// Size distributions use interior objects only (border objects are truncated by the field).
/// Number density = (interior + ½·border objects) / analysed area.
public struct ObjectStatistics: Codable, Equatable, Sendable {
    public var countInterior: Int
    public var countBorder: Int
    public var countTotal: Int { countInterior + countBorder }
    public var numberDensityPerMm2: Double?
    /// Same density per 10⁶ pixels (always present).
    public var numberDensityPerMpx: Double
    public var ecdPx: SizeDistribution
    public var ecdUm: SizeDistribution?

    enum CodingKeys: String, CodingKey {
        case countInterior = "count_interior", countBorder = "count_border", countTotal = "count_total"
        case numberDensityPerMm2 = "number_density_per_mm2", numberDensityPerMpx = "number_density_per_mpx"
        case ecdPx = "ecd_px", ecdUm = "ecd_um"
    }

    public init(countInterior: Int, countBorder: Int, numberDensityPerMm2: Double?,
                numberDensityPerMpx: Double, ecdPx: SizeDistribution, ecdUm: SizeDistribution?) {
        self.countInterior = countInterior; self.countBorder = countBorder
        self.numberDensityPerMm2 = numberDensityPerMm2; self.numberDensityPerMpx = numberDensityPerMpx
        self.ecdPx = ecdPx; self.ecdUm = ecdUm
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        countInterior = try c.decode(Int.self, forKey: .countInterior)
        countBorder = try c.decode(Int.self, forKey: .countBorder)
        numberDensityPerMm2 = try c.decodeIfPresent(Double.self, forKey: .numberDensityPerMm2)
        numberDensityPerMpx = try c.decode(Double.self, forKey: .numberDensityPerMpx)
        ecdPx = try c.decode(SizeDistribution.self, forKey: .ecdPx)
        ecdUm = try c.decodeIfPresent(SizeDistribution.self, forKey: .ecdUm)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(countInterior, forKey: .countInterior)
        try c.encode(countBorder, forKey: .countBorder)
        try c.encode(countTotal, forKey: .countTotal)
        try c.encodeIfPresent(numberDensityPerMm2, forKey: .numberDensityPerMm2)
        try c.encode(numberDensityPerMpx, forKey: .numberDensityPerMpx)
        try c.encode(ecdPx, forKey: .ecdPx)
        try c.encodeIfPresent(ecdUm, forKey: .ecdUm)
    }
}

/// Summary of a sample of sizes. Percentiles interpolate linearly between order statistics
/// (Hyndman–Fan type 7, as NumPy's default). Statistics are nil for an empty sample.
public struct SizeDistribution: Codable, Equatable, Sendable {
    public var count: Int
    public var mean: Double?
    public var median: Double?
    public var p10: Double?
    public var p90: Double?
    public var min: Double?
    public var max: Double?
    public var histogram: Histogram

    public init(values: [Double], binCount: Int, upperEdge: Double?) {
        let v = values.sorted()
        count = v.count
        mean = v.isEmpty ? nil : v.reduce(0, +) / Double(v.count)
        median = SizeDistribution.quantile(v, 0.5)
        p10 = SizeDistribution.quantile(v, 0.1)
        p90 = SizeDistribution.quantile(v, 0.9)
        min = v.first
        max = v.last
        histogram = Histogram(values: v, binCount: binCount, upperEdge: upperEdge ?? v.last ?? 1)
    }

    /// Type-7 quantile of sorted values.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}

/// Equal-width bins on [0, upper edge]; bin i holds edges[i] ≤ v < edges[i+1], the last bin also
/// holds v = upper edge; values above it are counted in `overflow`.
public struct Histogram: Codable, Equatable, Sendable {
    public var edges: [Double]
    public var counts: [Int]
    public var overflow: Int

    public init(edges: [Double], counts: [Int], overflow: Int) {
        self.edges = edges; self.counts = counts; self.overflow = overflow
    }

    public init(values: [Double], binCount: Int, upperEdge: Double) {
        let n = Swift.max(1, binCount)
        let top = upperEdge > 0 ? upperEdge : 1
        edges = (0...n).map { top * Double($0) / Double(n) }
        counts = [Int](repeating: 0, count: n)
        overflow = 0
        for v in values {
            if v > top { overflow += 1; continue }
            let b = Swift.min(n - 1, Swift.max(0, Int(v / top * Double(n))))
            counts[b] += 1
        }
    }
}
