import MatSSLLite

/// A segmentation engine: one gray image in, one class-index mask out.
/// Conformers: `OtsuSegmenter` (classical baseline, `engine = "otsu"`); the int8 MatSSL-Lite network
/// plugs in as another conformer (`engine = "model"`). Implementations must be safe to call from the
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
}

/// Why no segmenter could be built from the configuration.
struct SegmenterError: Error, CustomStringConvertible {
    var description: String
}

/// Builds the segmenter the configuration names.
enum SegmenterFactory {
    static func make(_ config: AgentConfig) throws -> ImageSegmenter {
        switch config.engine {
        case "otsu":
            return OtsuSegmenter()
        case "model":
            throw SegmenterError(description: "engine \"model\" (int8 MatSSL-Lite, model '\(config.model)') is not available in this build yet; use engine = \"otsu\"")
        default:
            throw SegmenterError(description: "unknown engine '\(config.engine)'")
        }
    }
}
