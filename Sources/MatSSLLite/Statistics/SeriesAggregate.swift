import Foundation

/// Mean, sample standard deviation and 95 % confidence interval of one quantity over the fields
/// (images) of a series, as in ASTM E562 §10: CI half-width = t_{0.975, n−1} · s / √n.
public struct FieldSummary: Codable, Equatable, Sendable {
    /// Number of fields with a value.
    public var fields: Int
    public var mean: Double?
    /// Sample standard deviation (n − 1); nil for fewer than 2 fields.
    public var standardDeviation: Double?
    /// 95 % CI half-width; nil for fewer than 2 fields.
    public var ci95HalfWidth: Double?
    /// Relative accuracy %RA = 100 · CI half-width / mean (E562); nil when undefined.
    public var relativeAccuracyPercent: Double?

    enum CodingKeys: String, CodingKey {
        case fields, mean, standardDeviation = "standard_deviation", ci95HalfWidth = "ci95_half_width"
        case relativeAccuracyPercent = "relative_accuracy_percent"
    }

    public init(values: [Double]) {
        let n = values.count
        fields = n
        guard n > 0 else { return }
        let m = values.reduce(0, +) / Double(n)
        mean = m
        guard n > 1 else { return }
        let ss = values.reduce(0) { $0 + ($1 - m) * ($1 - m) }
        let s = (ss / Double(n - 1)).squareRoot()
        standardDeviation = s
        let ci = StudentT.quantile975(df: n - 1)! * s / Double(n).squareRoot()
        ci95HalfWidth = ci
        relativeAccuracyPercent = m != 0 ? 100 * ci / m : nil
    }
}

/// Aggregates over the images of a folder (a series of fields), per class.
public struct SeriesAggregate: Codable, Equatable, Sendable {
    public struct ClassSummary: Codable, Equatable, Sendable {
        public var className: String
        public var areaFraction: FieldSummary
        /// Over fields with a known pixel size only.
        public var numberDensityPerMm2: FieldSummary
        /// Mean ECD (interior objects) per field, µm; fields with a pixel size and ≥ 1 object.
        public var ecdMeanUm: FieldSummary
        /// Grain size number G per field, for grain-delineating classes.
        public var grainSizeG: FieldSummary

        enum CodingKeys: String, CodingKey {
            case className = "class_name", areaFraction = "area_fraction"
            case numberDensityPerMm2 = "number_density_per_mm2", ecdMeanUm = "ecd_mean_um"
            case grainSizeG = "grain_size_g"
        }
    }

    /// Number of images (fields).
    public var fields: Int
    public var classes: [ClassSummary]

    /// Aggregates `images`; classes are matched by name, in order of first appearance.
    /// A field where a class is absent from the model's class list does not count for that class.
    public init(images: [ImageStatistics]) {
        fields = images.count
        var names: [String] = []
        for im in images { for c in im.classes where !names.contains(c.className) { names.append(c.className) } }
        classes = names.map { n in
            var fr: [Double] = [], nd: [Double] = [], ecd: [Double] = [], g: [Double] = []
            for im in images {
                guard let c = im.classes.first(where: { $0.className == n }) else { continue }
                fr.append(c.areaFraction)
                if let d = c.objects?.numberDensityPerMm2 { nd.append(d) }
                if let e = c.objects?.ecdUm?.mean { ecd.append(e) }
                if let gg = im.grainSize.first(where: { $0.className == n })?.grainSizeG { g.append(gg) }
            }
            return ClassSummary(className: n, areaFraction: FieldSummary(values: fr),
                                numberDensityPerMm2: FieldSummary(values: nd),
                                ecdMeanUm: FieldSummary(values: ecd), grainSizeG: FieldSummary(values: g))
        }
    }
}
