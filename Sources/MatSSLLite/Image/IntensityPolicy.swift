/// How `ImageRowReader` chooses the `IntensityRange` of an image (`[image] intensity_range`,
/// `--intensity-range`): "auto" (default), "storage", or an explicit "LOW:HIGH" in raw units.
///
/// "auto", in order: the range the file declares (TIFF Min/MaxSampleValue); full scale for 8-bit
/// and smaller unsigned data and palette images (no data pass — every MetalDAM-style 8-bit image
/// maps exactly as it always did); otherwise one extra pass over the pixels finds the data's
/// minimum m and maximum M: non-negative data maps 0…2ᵇ−1 for the smallest b of 8, 10, 12, 14, 16
/// with M ≤ 2ᵇ−1 (floats already within 0…1 stay 0…1), data with negative values maps m…M.
/// A 16-bit file holding 12-bit detector values is therefore not read as a nearly black image.
public enum IntensityPolicy: Equatable, Sendable, CustomStringConvertible {
    case auto
    case storage
    case fixed(low: Double, high: Double)

    /// Parses "auto", "storage" or "LOW:HIGH" (finite numbers, LOW < HIGH).
    public init(parsing text: String) throws {
        let t = String(text.filter { !$0.isWhitespace })
        switch t {
        case "auto": self = .auto
        case "storage": self = .storage
        default:
            let parts = t.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let lo = Double(parts[0]), let hi = Double(parts[1]),
                  lo.isFinite, hi.isFinite, lo < hi else {
                throw IntensityPolicyError(text: text)
            }
            self = .fixed(low: lo, high: hi)
        }
    }

    public var description: String {
        switch self {
        case .auto: return "auto"
        case .storage: return "storage"
        case .fixed(let lo, let hi): return "\(Self.number(lo)):\(Self.number(hi))"
        }
    }

    private static func number(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v)
    }

    /// What an image's header says, as far as the choice depends on it.
    public struct Storage: Equatable, Sendable {
        /// "uint", "int" or "float".
        public var sampleFormat: String
        public var bitDepth: Int
        public var isPalette: Bool
        /// Full scale of the storage (raw units).
        public var low: Double, high: Double
        /// The file's declared range, when it narrows full scale.
        public var declared: (low: Double, high: Double)?

        public init(sampleFormat: String, bitDepth: Int, isPalette: Bool, low: Double, high: Double,
                    declared: (low: Double, high: Double)? = nil) {
            self.sampleFormat = sampleFormat
            self.bitDepth = bitDepth
            self.isPalette = isPalette
            self.low = low
            self.high = high
            self.declared = declared
        }

        public static func == (a: Storage, b: Storage) -> Bool {
            a.sampleFormat == b.sampleFormat && a.bitDepth == b.bitDepth && a.isPalette == b.isPalette
                && a.low == b.low && a.high == b.high && a.declared?.low == b.declared?.low && a.declared?.high == b.declared?.high
        }

        /// True when "auto" needs the data's minimum and maximum.
        var needsDataPass: Bool { declared == nil && !isPalette && !(sampleFormat == "uint" && bitDepth <= 8) }
    }

    /// Detector depths the "data-maximum" rule picks from.
    static let commonDepths = [8, 10, 12, 14, 16]

    /// The range for an image with this storage.
    /// - Parameter dataRange: the finite minimum and maximum of the raw values (gray or luma);
    ///   called only when needed, nil when the image has no finite value. Without it (header-only
    ///   inspection) "auto" returns nil where it needs the data.
    public func resolve(_ s: Storage, dataRange: (() throws -> (min: Double, max: Double)?)?) throws -> IntensityRange? {
        switch self {
        case .fixed(let lo, let hi): return IntensityRange(low: lo, high: hi, source: .config)
        case .storage: return IntensityRange(low: s.low, high: s.high, source: .storage)
        case .auto: break
        }
        if let d = s.declared { return IntensityRange(low: d.low, high: d.high, source: .fileTag) }
        let full = IntensityRange(low: s.low, high: s.high, source: .storage)
        guard s.needsDataPass else { return full }
        guard let dataRange else { return nil }
        guard let (m, hi) = try dataRange() else { return full }
        if m < 0 {
            return hi > m ? IntensityRange(low: m, high: hi, source: .dataMinMax) : full
        }
        if s.sampleFormat == "float" && hi <= 1 { return full }
        let isFloat = s.sampleFormat == "float"
        for b in Self.commonDepths {
            let top = Double((1 << b) - 1)
            if !isFloat && top >= s.high { return full } // not narrower than the integer storage itself
            if hi <= top { return IntensityRange(low: 0, high: top, source: .dataMaximum) }
        }
        // Beyond 16 bits (float or 32-bit data): 0…maximum.
        return hi > 0 ? IntensityRange(low: 0, high: hi, source: .dataMaximum) : full
    }
}

/// An `intensity_range` / `--intensity-range` value that is not "auto", "storage" or "LOW:HIGH".
public struct IntensityPolicyError: Error, Equatable, CustomStringConvertible {
    public var text: String
    public var description: String {
        "intensity range '\(text)': expected auto, storage or LOW:HIGH with LOW < HIGH (e.g. 0:4095)"
    }
}
