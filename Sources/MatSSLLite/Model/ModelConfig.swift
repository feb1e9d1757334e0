import Foundation

/// Architecture and data constants of a MatSSL-Lite network; stored as JSON in checkpoints.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Channels of layer1..layer4 (strides 4/8/16/32).
    public var widths: [Int] = [32, 64, 128, 256]
    /// BasicBlocks per stage.
    public var depths: [Int] = [2, 2, 2, 2]
    /// Stem conv kernel (7 = torchvision, 3 = cheaper), stride 2.
    public var stemKernel: Int = 7
    /// Projector hidden width and output dimension (SSL head).
    public var projectorHidden: Int = 512
    public var projectorDim: Int = 128
    /// Gated Feature Fusion on: each stage is scaled by the learned sigmoid(g_s) in the SSL head and
    /// in the decoder's skips. Off (the ablation): plain concatenation, the gates are unused.
    public var gffGates: Bool = true
    /// Decoder output channels at strides 16, 8, 4, 2, 1.
    public var decoderWidths: [Int] = [128, 64, 32, 16, 8]
    /// Segmentation classes (names and RGB colours); empty for an SSL-only checkpoint.
    public var classNames: [String] = []
    public var classColors: [[UInt8]] = []
    /// Input normalisation: (x - mean) / std, x in [0, 1].
    public var mean: Float = 0.5
    public var std: Float = 0.25
    /// Per-image intensity standardisation before the network (`IntensityStandardization`): each
    /// image's grey values are re-mapped to mean `mean` and standard deviation `std`. Off in models
    /// trained before the option existed.
    public var standardizeIntensity: Bool = false

    public init() {}

    /// Missing keys take their defaults, so checkpoints written before a field existed still load.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = ModelConfig()
        widths = try c.decodeIfPresent([Int].self, forKey: .widths) ?? d.widths
        depths = try c.decodeIfPresent([Int].self, forKey: .depths) ?? d.depths
        stemKernel = try c.decodeIfPresent(Int.self, forKey: .stemKernel) ?? d.stemKernel
        projectorHidden = try c.decodeIfPresent(Int.self, forKey: .projectorHidden) ?? d.projectorHidden
        projectorDim = try c.decodeIfPresent(Int.self, forKey: .projectorDim) ?? d.projectorDim
        gffGates = try c.decodeIfPresent(Bool.self, forKey: .gffGates) ?? d.gffGates
        decoderWidths = try c.decodeIfPresent([Int].self, forKey: .decoderWidths) ?? d.decoderWidths
        classNames = try c.decodeIfPresent([String].self, forKey: .classNames) ?? d.classNames
        classColors = try c.decodeIfPresent([[UInt8]].self, forKey: .classColors) ?? d.classColors
        mean = try c.decodeIfPresent(Float.self, forKey: .mean) ?? d.mean
        std = try c.decodeIfPresent(Float.self, forKey: .std) ?? d.std
        standardizeIntensity = try c.decodeIfPresent(Bool.self, forKey: .standardizeIntensity) ?? d.standardizeIntensity
    }

    /// The stem's output channels (= layer1 width, as in torchvision's ResNet).
    public var stemWidth: Int { widths[0] }

    /// Validates the shape fields; throws a readable error.
    public func validate() throws {
        guard widths.count == 4, depths.count == 4, widths.allSatisfy({ $0 > 0 }), depths.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidConfig("widths and depths need 4 positive entries (got \(widths), \(depths))")
        }
        guard decoderWidths.count == 5, decoderWidths.allSatisfy({ $0 > 0 }) else {
            throw ModelError.invalidConfig("decoderWidths needs 5 positive entries (got \(decoderWidths))")
        }
        guard stemKernel == 7 || stemKernel == 3 else { throw ModelError.invalidConfig("stemKernel must be 3 or 7") }
        guard classColors.isEmpty || classColors.count == classNames.count else {
            throw ModelError.invalidConfig("\(classNames.count) class names but \(classColors.count) colours")
        }
        guard std > 0, mean.isFinite else { throw ModelError.invalidConfig("bad normalisation mean/std") }
    }

    public func json() -> String {
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        return String(decoding: try! enc.encode(self), as: UTF8.self)
    }

    public static func from(json: String) throws -> ModelConfig {
        do { return try JSONDecoder().decode(ModelConfig.self, from: Data(json.utf8)) } catch {
            throw ModelError.invalidConfig("config JSON: \(error)")
        }
    }

    /// MetalDAM's five classes with a distinct palette.
    public static let metalDAMClasses = ["matrix", "austenite", "martensite/austenite", "precipitate", "defect"]
    public static func defaultColors(_ n: Int) -> [[UInt8]] {
        let palette: [[UInt8]] = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                                  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]]
        return (0..<n).map { palette[$0 % palette.count] }
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case badInput(String)
    public var description: String {
        switch self {
        case .invalidConfig(let s): return "invalid model config: \(s)"
        case .badInput(let s): return "bad model input: \(s)"
        }
    }
}
