import Foundation
import MatSSLLite

/// The human-readable record of a calibration (`calibration/*.json`): which images, which method,
/// and every activation's observed range and chosen u8 parameters.
struct CalibrationRecord: Encodable {
    struct Activation: Encodable {
        var tensor: String
        var observedMin: Float
        var observedMax: Float
        var scale: Float?
        var zeroPoint: Int?
    }
    var model: String
    var version: String
    var method: String
    var percentile: Double
    var images: [String]
    var sourceCheckpoint: String
    var sourceCheckpointSHA256: String
    /// The class-weight correction folded into the classifier (τ, weights) and the offsets added.
    var logitAdjustment: LogitAdjustment?
    var logitOffsets: [Float]?
    var activations: [Activation]

    init(model m: QuantizedModel, observers: [ActivationObserver]) {
        let info = m.info
        model = info.name
        version = info.version
        method = info.provenance.method.rawValue
        percentile = info.provenance.percentile
        images = info.provenance.calibrationImages
        sourceCheckpoint = info.provenance.sourceCheckpoint
        sourceCheckpointSHA256 = info.provenance.sourceCheckpointSHA256
        logitAdjustment = info.provenance.logitAdjustment
        logitOffsets = logitAdjustment?.offsets
        activations = info.graph.tensors.enumerated().map { i, t in
            Activation(tensor: t.name, observedMin: observers[i].minValue, observedMax: observers[i].maxValue,
                       scale: info.activations[i]?.scale, zeroPoint: info.activations[i]?.zeroPoint)
        }
    }

    func write(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write([UInt8](try enc.encode(self)), to: path)
    }
}
