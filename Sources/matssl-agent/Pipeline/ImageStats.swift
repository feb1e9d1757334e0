import Foundation
import MatSSLLite

/// The per-image `X.stats.json` (schema version 1): per-class pixel counts and area fractions,
/// timings, model, content hash, pixel size. Kept in this one file so the full `PhaseStatistics`
/// from MatSSLLite can replace the class summary later.
struct ImageStats: Codable, Equatable {
    struct ClassArea: Codable, Equatable {
        var index: Int
        var name: String
        var pixels: Int
        var areaFraction: Double
        /// Area in µm² when the pixel size is known.
        var areaUm2: Double?

        enum CodingKeys: String, CodingKey {
            case index, name, pixels
            case areaFraction = "area_fraction"
            case areaUm2 = "area_um2"
        }
    }

    var schema = 1
    var file: String
    var contentSHA256: String
    var width: Int
    var height: Int
    var pixelSizeUm: Double?
    /// Where the pixel size came from: a `PixelSizeSource` raw value ("tiff-resolution", "config", "none", ...).
    var pixelSizeSource: String
    var modelName: String
    var modelVersion: String
    var classes: [ClassArea]
    var timingsMs: [String: Double]
    var created: String
    var agentVersion: String

    enum CodingKeys: String, CodingKey {
        case schema, file, width, height, classes, created
        case contentSHA256 = "content_sha256"
        case pixelSizeUm = "pixel_size_um"
        case pixelSizeSource = "pixel_size_source"
        case modelName = "model_name"
        case modelVersion = "model_version"
        case timingsMs = "timings_ms"
        case agentVersion = "agent_version"
    }

    /// Counts each class in `mask` (labels ≥ classNames.count are counted under their own index).
    static func make(file: String, hash: String, mask: LabelMask, classNames: [String], pixelSizeUm: Double?, pixelSizeSource: String,
                     modelName: String, modelVersion: String, timings: StageTimings) -> ImageStats {
        var counts = [Int](repeating: 0, count: max(classNames.count, 1 + Int(mask.labels.max() ?? 0)))
        for l in mask.labels { counts[Int(l)] += 1 }
        let total = Double(max(1, mask.labels.count))
        let pixelArea = pixelSizeUm.map { $0 * $0 }
        let classes = counts.enumerated().map { i, n in
            ClassArea(index: i, name: i < classNames.count ? classNames[i] : "class\(i)", pixels: n,
                      areaFraction: Double(n) / total, areaUm2: pixelArea.map { Double(n) * $0 })
        }
        return ImageStats(
            file: file, contentSHA256: hash, width: mask.width, height: mask.height, pixelSizeUm: pixelSizeUm,
            pixelSizeSource: pixelSizeSource, modelName: modelName, modelVersion: modelVersion, classes: classes,
            timingsMs: ["hash": timings.hashMs, "decode": timings.decodeMs, "segment": timings.segmentMs, "write": timings.writeMs],
            created: ISO8601DateFormatter().string(from: Date()), agentVersion: MatsslAgent.configuration.version)
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// The content hash recorded in an existing stats file, if it parses.
    static func recordedHash(at path: String) -> ImageStats? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode(ImageStats.self, from: data)
    }

    /// Compact summary for the journal row and `results.csv`.
    func summaryJSON() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
    }
}

/// `X.error.json`: why a file could not be processed.
struct ImageErrorRecord: Codable, Equatable {
    var file: String
    var path: String
    var reason: String
    var contentSHA256: String
    var size: Int64
    var created: String
    var agentVersion: String

    enum CodingKeys: String, CodingKey {
        case file, path, reason, size, created
        case contentSHA256 = "content_sha256"
        case agentVersion = "agent_version"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }
}
