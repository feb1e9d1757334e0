import Foundation
import MatSSLLite
import QuantKernels

/// The int8 MatSSL-Lite network as an `ImageSegmenter` (config `engine = "model"`): tiled,
/// bounded-memory segmentation whose result does not depend on the tiling.
final class ModelSegmenter: StreamingSegmenter {
    let model: QuantizedModel
    let path: String
    private let tiled: TiledSegmenter

    /// Loads `path` (validated, checksummed) and, when `threads` is given, sets the kernels' (global)
    /// thread count. The daemon passes nil: it builds segmenters on SIGHUP while its worker may be
    /// computing, and sets the thread count on the worker thread between images instead.
    /// `augmentation`: views whose logits are summed (`.flips` costs 4 passes; see docs/quantization.md).
    /// `tilePixelBudget`: the largest tile in pixels (nil: the model file's own budget).
    /// An SEM data bar is cut off before the network by `DataBarSegmenter`, so it never reaches a
    /// standardising model's intensity statistics either.
    init(path: String, threads: Int?, augmentation: TestTimeAugmentation = .none, tilePixelBudget: Int? = nil) throws {
        model = try QuantizedModelFile.load(path: path)
        self.path = path
        if let threads { qk_set_num_threads(Int32(max(1, threads))) }
        tiled = TiledSegmenter(model: model, tilePixelBudget: tilePixelBudget, augmentation: augmentation)
    }

    var testTimeAugmentation: String? { tiled.augmentation.rawValue }
    /// The largest tile computed at once (pixels, halo included).
    var tilePixelBudget: Int { tiled.tilePixelBudget }

    var modelName: String { model.info.name }
    var modelVersion: String { model.info.version }
    var classNames: [String] { model.classNames }
    var palette: [RGB8] { model.palette }

    func segment(_ image: GrayImage) throws -> LabelMask { try tiled.segment(image) }

    /// Streams the file's rows instead of decoding it whole (large TIFFs).
    func segment(reader: ImageRowReader, rows: Int) throws -> LabelMask { try tiled.segment(reader: reader, rows: rows) }
}
