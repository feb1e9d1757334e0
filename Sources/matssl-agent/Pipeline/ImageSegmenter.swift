import MatSSLLite

/// A segmentation engine: one gray image in, one class-index mask out.
/// Conformers: `OtsuSegmenter` (classical baseline, `engine = "otsu"`); the int8 MatSSL-Lite network
/// is `ModelSegmenter` (`engine = "model"`). Implementations must be safe to call from the
/// daemon's single worker thread; they are replaced wholesale on SIGHUP, never mutated.
protocol ImageSegmenter: AnyObject {
    /// Human-readable engine/model name recorded in every output and journal row.
    var modelName: String { get }
    /// Version of the model (or algorithm); a new version does not by itself reprocess old images.
    var modelVersion: String { get }
    /// Class names, index = label value in the mask.
    var classNames: [String] { get }
    /// One colour per class for overlays and the palette PNG.
    var palette: [RGB8] { get }
    /// Segments `image` (H×W gray, values 0…1) into a H×W mask of class indices < classNames.count.
    func segment(_ image: GrayImage) throws -> LabelMask
    /// Test-time augmentation recorded with every result (nil: the engine has none).
    var testTimeAugmentation: String? { get }
}

extension ImageSegmenter {
    var testTimeAugmentation: String? { nil }
}

/// A segmenter that can read the image a band of rows at a time (bounded memory on large files).
protocol StreamingSegmenter: ImageSegmenter {
    /// Segments the top `rows` rows `reader` yields (top to bottom; the rest are not read) into a
    /// rows×W mask.
    func segment(reader: ImageRowReader, rows: Int) throws -> LabelMask
}

extension StreamingSegmenter {
    /// Segments every row of the image into a H×W mask.
    func segment(reader: ImageRowReader) throws -> LabelMask { try segment(reader: reader, rows: reader.info.height) }
}

/// Why no segmenter could be built from the configuration.
struct SegmenterError: Error, CustomStringConvertible {
    var description: String
}

/// Builds the segmenter the configuration names. Engines: "auto" (the int8 model when it resolves,
/// else Otsu with a notice), "model" (int8 model; missing → error naming every place looked at),
/// "otsu". Every call loads the model file afresh, so SIGHUP picks up a replaced model. Thread
/// counts are not touched here (the caller sets `qk_set_num_threads` where no inference runs).
enum SegmenterFactory {
    static let engines: Set<String> = ["auto", "model", "otsu"]

    struct Built {
        var segmenter: ImageSegmenter
        /// For the log and `check-config`: what was chosen and why, when it is not the obvious choice.
        var notice: String?
        /// Model file loaded (nil for Otsu).
        var modelPath: String?

        var description: String {
            "\(segmenter.modelName) \(segmenter.modelVersion)" + (modelPath.map { " from \($0)" } ?? "")
                + (segmenter.testTimeAugmentation.map { ", test-time augmentation \($0)" } ?? "")
        }
    }

    static func make(_ config: AgentConfig) throws -> ImageSegmenter { try build(config).segmenter }

    /// The engine the configuration names. The SEM data bar is put in front of it per image
    /// (`DataBarPolicy`, `DataBarSegmenter`): its height can come from the file.
    static func build(_ config: AgentConfig) throws -> Built {
        switch config.engine {
        case "otsu":
            return Built(segmenter: OtsuSegmenter())
        case "model":
            let path: String
            do { path = try ModelLocator.resolve(config.model, stateDirectory: config.stateDirectory) } catch {
                throw SegmenterError(description: "engine = \"model\": \(error)")
            }
            return Built(segmenter: try load(path, config), modelPath: path)
        case "auto":
            let path: String
            do { path = try ModelLocator.resolve(config.model, stateDirectory: config.stateDirectory) } catch {
                return Built(segmenter: OtsuSegmenter(),
                             notice: "engine = \"auto\" uses the Otsu baseline: \(error) Set engine = \"model\" to make a missing model an error.")
            }
            // A model that exists but does not load is an error, never a silent fallback.
            return Built(segmenter: try load(path, config), modelPath: path)
        default:
            throw SegmenterError(description: "unknown engine '\(config.engine)' (use \"auto\", \"model\" or \"otsu\")")
        }
    }

    private static func load(_ path: String, _ config: AgentConfig) throws -> ModelSegmenter {
        do { return try ModelSegmenter(path: path, threads: nil, augmentation: config.augmentation,
                                       tilePixelBudget: config.tilePixelBudget) } catch {
            throw SegmenterError(description: "model '\(path)' cannot be loaded: \(error)")
        }
    }
}
