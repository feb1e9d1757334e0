import Foundation

/// Where a quantized model came from and how it was calibrated (stored in the model file).
public struct QuantizationProvenance: Codable, Sendable, Equatable {
    public var method: CalibrationMethod
    public var percentile: Double
    /// Calibration image file names (not paths: the images stay where the site keeps them).
    public var calibrationImages: [String]
    /// The fp32 checkpoint it was made from (file name) and that file's SHA-256.
    public var sourceCheckpoint: String
    public var sourceCheckpointSHA256: String
    public var created: String
    /// The correction folded into the classifier bias, if any (absent in files from before it existed).
    public var logitAdjustment: LogitAdjustment?
    public init(method: CalibrationMethod, percentile: Double, calibrationImages: [String], sourceCheckpoint: String,
                sourceCheckpointSHA256: String, created: String, logitAdjustment: LogitAdjustment? = nil) {
        self.method = method
        self.percentile = percentile
        self.calibrationImages = calibrationImages
        self.sourceCheckpoint = sourceCheckpoint
        self.sourceCheckpointSHA256 = sourceCheckpointSHA256
        self.created = created
        self.logitAdjustment = logitAdjustment
    }
}

/// Everything about an int8 model that is not a weight: stored as JSON in the model file.
public struct QuantizedModelInfo: Codable, Sendable, Equatable {
    /// Human name, e.g. "metaldam", and a version string that output rows record.
    public var name: String
    public var version: String
    /// The fp32 architecture it was made from.
    public var config: ModelConfig
    /// The graph structure (its weight dictionaries are empty here; weights are tensors).
    public var graph: InferenceGraph
    /// Activation quantization per graph tensor (nil for the float logits).
    public var activations: [QuantParams?]
    /// Tiling: the halo that covers the receptive field, and the default tile budget in pixels.
    public var halo: Int
    public var tilePixelBudget: Int
    public var provenance: QuantizationProvenance
    /// Pointer to the labeled set it was trained and validated on (for refresh), if known.
    public var trainingData: [String: String]

    public var classNames: [String] { config.classNames }
    public var palette: [RGB8] { config.classColors.map { RGB8(r: $0[0], g: $0[1], b: $0[2]) } }
}

/// An int8 MatSSL-Lite segmentation model ready to run: quantized convs (weights packed for the
/// kernels) and the activation parameters of every tensor.
public final class QuantizedModel {
    public let info: QuantizedModelInfo
    /// Quantized convs by conv name, in graph order in `convs`.
    public let convs: [QuantizedConv]
    let convByOutput: [Int: QuantizedConv]

    public init(info: QuantizedModelInfo, convs: [QuantizedConv]) throws {
        self.info = info
        self.convs = convs
        var map: [Int: QuantizedConv] = [:]
        for c in convs { map[c.spec.output] = c }
        convByOutput = map
        for spec in info.graph.convs where map[spec.output] == nil {
            throw ModelError.invalidConfig("int8 model: conv \(spec.name) has no weights")
        }
        guard info.activations.count == info.graph.tensors.count else {
            throw ModelError.invalidConfig("int8 model: \(info.activations.count) activation entries for \(info.graph.tensors.count) tensors")
        }
    }

    public var classNames: [String] { info.classNames }
    public var palette: [RGB8] { info.palette }
}
