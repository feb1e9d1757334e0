import ArgumentParser
import Foundation
import MatSSLLite

/// `matssl-agent inspect FILE...`: one JSON object per line per file — format, size, depth, pixel
/// size and its source — or `{"path", "error"}`. Exit status 1 when any file failed.
/// By default the pixel data is decoded too, so truncated or corrupt files are reported;
/// `--header-only` reads headers only.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Describe image files as JSON lines, or say why they cannot be read.")

    @Argument(help: "Image files (TIFF, PNG, JPEG, BMP).")
    var files: [String]

    @Flag(help: "Read headers only (fast; does not detect truncated or corrupt pixel data).")
    var headerOnly = false

    @Option(help: "Refuse images with more pixels than this.")
    var maxPixels: Int = DecodeLimits.default.maxPixels

    @Option(help: IntensityPolicy.argumentHelp)
    var intensityRange: IntensityPolicy = .auto

    func run() throws {
        var failed = 0
        let limits = DecodeLimits(maxPixels: maxPixels, intensity: intensityRange)
        for path in files {
            let line: String
            do {
                let info = headerOnly ? try ImageDecoder.inspect(path: path, limits: limits)
                                      : try Self.verify(path: path, limits: limits)
                line = InspectRecord(info).jsonLine()
            } catch let error as ImageError {
                failed += 1
                line = InspectError(path: path, error: error.description, kind: error.kind).jsonLine()
            } catch {
                failed += 1
                line = InspectError(path: path, error: "\(path): \(error)", kind: "other").jsonLine()
            }
            print(line)
        }
        if failed > 0 { throw ExitCode(1) }
    }

    /// Decodes every row (so truncated or corrupt data is found) 64 rows at a time into one reused
    /// buffer: memory is a band, not the image, however large the file.
    static func verify(path: String, limits: DecodeLimits) throws -> ImageInfo {
        let reader = try ImageDecoder.decodeRows(path: path, limits: limits)
        let info = reader.info, band = 64
        var rows = [Float](repeating: 0, count: band * info.width)
        var y = 0
        while y < info.height {
            let n = min(band, info.height - y)
            try rows.withUnsafeMutableBufferPointer { try reader.readRows(n, into: $0) }
            y += n
        }
        return info
    }
}

/// One line of `inspect` output for a readable file.
struct InspectRecord: Encodable {
    var path: String
    var format: String
    var width: Int
    var height: Int
    var channels: Int
    var bitDepth: Int
    var colorModel: String
    var pixelSizeUm: Double?
    var pixelSizeSource: String
    /// Rows of data bar the file's metadata records (FEI/Thermo), nil when it records none.
    var dataBarRows: Int?
    var pages: Int?
    var compression: String?
    var note: String?
    /// "uint", "int" or "float".
    var sampleFormat: String
    /// Raw values read as intensity 0 and 1; nil when header-only inspection cannot tell.
    var intensityRange: IntensityRange?

    init(_ info: ImageInfo) {
        path = info.path
        format = info.format.rawValue
        width = info.width
        height = info.height
        channels = info.channels
        bitDepth = info.bitDepth
        colorModel = info.colorModel
        pixelSizeUm = info.pixelSize?.micrometresPerPixel
        pixelSizeSource = (info.pixelSize?.source ?? .none).rawValue
        dataBarRows = info.dataBarRows
        pages = info.pages
        compression = info.compression
        note = info.note
        sampleFormat = info.sampleFormat
        intensityRange = info.intensityRange
    }

    enum CodingKeys: String, CodingKey {
        case path, format, width, height, channels, bitDepth = "bit_depth", colorModel = "color_model",
             pixelSizeUm = "pixel_size_um", pixelSizeSource = "pixel_size_source", dataBarRows = "data_bar_rows",
             pages, compression, note, sampleFormat = "sample_format", intensityLow = "intensity_low",
             intensityHigh = "intensity_high", intensitySource = "intensity_source"
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encode(format, forKey: .format)
        try c.encode(width, forKey: .width)
        try c.encode(height, forKey: .height)
        try c.encode(channels, forKey: .channels)
        try c.encode(bitDepth, forKey: .bitDepth)
        try c.encode(colorModel, forKey: .colorModel)
        try c.encode(pixelSizeUm, forKey: .pixelSizeUm) // null when unknown
        try c.encode(pixelSizeSource, forKey: .pixelSizeSource)
        try c.encodeIfPresent(dataBarRows, forKey: .dataBarRows)
        try c.encode(pages, forKey: .pages)
        try c.encodeIfPresent(compression, forKey: .compression)
        try c.encodeIfPresent(note, forKey: .note)
        try c.encode(sampleFormat, forKey: .sampleFormat)
        if let r = intensityRange {
            try c.encode(r.low, forKey: .intensityLow)
            try c.encode(r.high, forKey: .intensityHigh)
            try c.encode(r.source.rawValue, forKey: .intensitySource)
        }
    }

    func jsonLine() -> String { InspectJSON.line(self) }
}

/// One line of `inspect` output for a file that could not be read.
struct InspectError: Encodable {
    var path: String
    var error: String
    var kind: String
    enum CodingKeys: String, CodingKey { case path, error, kind = "error_kind" }
    func jsonLine() -> String { InspectJSON.line(self) }
}

enum InspectJSON {
    static func line<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
