import Foundation
import MatSSLLite

/// Quantizes a candidate with the calibration images and measures int8 models on the held-out set.
enum CandidateEvaluator {
    /// The candidate fp32 network → int8, with the same calibration method as the current model;
    /// `logitAdjustment` is recorded (the caller has applied it to `net`). The bottom
    /// `dataBarRows` rows of each calibration image are left out.
    static func quantize(_ net: SegmentationNet, checkpointPath: String, calibrationPaths: [String], dataBarRows: Int = 0,
                         limits: DecodeLimits = .default,
                         like current: QuantizedModelInfo,
                         logitAdjustment: LogitAdjustment? = nil, name: String, version: String, trainingData: [String: String], log: (String) -> Void) throws -> QuantizedModel {
        var tensors: [Tensor] = []
        for path in calibrationPaths {
            do {
                let (decoded, info) = try ImageDecoder.decode(path: path, limits: limits)
                let bar = DataBarPolicy.resolve(info: info, configuredRows: dataBarRows).rows
                guard let img = decoded.droppingBottomRows(bar) else {
                    throw DataError.sizeMismatch("\(path): a data bar of \(bar) rows leaves nothing of its \(decoded.width)×\(decoded.height) pixels")
                }
                tensors.append(QuantizeCommand.paddedTensor(img, config: net.config))
            } catch {
                log("calibration image skipped: \(error)")
            }
        }
        guard !tensors.isEmpty else { throw LabeledSets.Missing(description: "no readable calibration images") }
        let graph = InferenceGraphBuilder.build(net)
        let observers = try Quantizer.calibrate(graph: graph, images: tensors)
        var options = Quantizer.Options()
        options.method = current.provenance.method
        options.percentile = current.provenance.percentile
        options.name = name
        options.version = version
        options.tilePixelBudget = current.tilePixelBudget
        let prov = QuantizationProvenance(method: options.method, percentile: options.percentile,
                                          calibrationImages: calibrationPaths.map { ($0 as NSString).lastPathComponent },
                                          sourceCheckpoint: "\(version).fp32.safetensors",
                                          sourceCheckpointSHA256: (try? SHA256.hex(fileAt: checkpointPath)) ?? "",
                                          created: ISO8601DateFormatter().string(from: Date()), logitAdjustment: logitAdjustment)
        return try Quantizer.quantize(graph: graph, observers: observers, config: net.config, options: options,
                                      provenance: prov, trainingData: trainingData)
    }

    /// int8 metrics on `images`, with agreement against `fp32` (the network the int8 model came from).
    static func score(_ model: QuantizedModel, fp32: SegmentationNet?, images: [TrainImage]) throws -> ModelScore {
        let r = try Int8Evaluator.evaluate(model, images: images, fp32: fp32)
        return ModelScore(version: model.info.version, classIoU: r.metrics.iou, meanIoU: r.metrics.meanIoU(),
                          paperMeanIoU: r.metrics.paperMeanIoU, pixelAccuracy: r.metrics.pixelAccuracy,
                          agreement: r.agreement, fp32MeanIoU: r.fp32Metrics?.meanIoU())
    }
}
