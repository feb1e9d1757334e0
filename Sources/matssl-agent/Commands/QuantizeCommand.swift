import ArgumentParser
import Foundation
import Logging
import MatSSLLite
import QuantKernels

/// `matssl-agent quantize`: post-training int8 quantization of a fine-tuned checkpoint.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantize a fine-tuned fp32 checkpoint to an int8 model file, calibrating on micrographs.",
        discussion: """
        Batch norm and the GFF skip gates are folded into the convolutions; weights become int8 per output \
        channel; every activation's u8 range is set from the calibration images. With --method auto (and \
        --eval-images/--eval-masks) each calibration method is measured on labeled images and the best kept.
        """)

    @Option(help: "Fine-tuned fp32 checkpoint (safetensors).") var model: String
    @Option(help: "Folder of calibration micrographs (a site's own images are best).") var calibration: String
    @Option(help: "Only the calibration images listed in this file (one name per line).") var list: String?
    @Option(help: "Leave out the images listed in this file (e.g. the validation split).") var excludeList: String?
    @Option(help: "At most this many calibration images (spread evenly over the sorted folder).") var maxImages = 16
    @Option(help: "Calibration method: minmax, percentile, entropy, or auto (measure each; needs --eval-*).")
    var method = "percentile"
    @Option(help: "Percentile of |x| kept by the percentile method.") var percentile = 99.99
    @Option(help: "Labeled images to measure the methods on (auto) and to report accuracy.") var evalImages: String?
    @Option(help: "Masks of --eval-images (X.png).") var evalMasks: String?
    @Option(help: "Only these evaluation images (list file).") var evalList: String?
    @Option(help: "Model name recorded in outputs.") var name = "model"
    @Option(help: "Model version recorded in outputs (default: date and time).") var modelVersion: String?
    @Option(help: "Write the calibration record (images, activation ranges) as JSON here.") var record: String?
    @Option(help: ArgumentHelp("Strength of the class-weight correction folded into the classifier (0 none, 1 full).",
                               discussion: "Fine-tuning with class weights w makes the network over-call rare classes; adding -τ·log w to the logits undoes it (area fractions)."))
    var logitAdjustment: Float = 0
    @Option(help: "Fine-tuning class weights, comma-separated, for checkpoints that do not record them.") var classWeights: String?
    @Option(help: "Compute threads.") var threads = 2
    @Option(help: "Output int8 model file.") var out: String
    @OptionGroup var dataBar: DataBarOption
    @OptionGroup var intensity: IntensityRangeOption

    func run() throws {
        let logger = Logger(label: "quantize")
        qk_set_num_threads(Int32(max(1, threads)))
        let checkpoint = try Checkpoint.load(path: model)
        let net = try Checkpoint.segmentationNet(from: checkpoint)
        let adjustment = try logitAdjustment(for: net, recorded: checkpoint.state.provenance["classWeights"])
        if let adjustment {
            try adjustment.apply(to: net)
            logger.info("logit adjustment τ=\(adjustment.tau): offsets \(adjustment.offsets.map { String(format: "%+.3f", $0) }.joined(separator: ","))")
        }
        let include = try list.map { try DatasetLoader.readList($0) }
        let exclude = try excludeList.map { try DatasetLoader.readList($0) } ?? []
        var files = try DatasetLoader.imageFiles(in: calibration).filter {
            let stem = (($0 as NSString).lastPathComponent as NSString).deletingPathExtension
            return (include?.contains(stem) ?? true) && !exclude.contains(stem)
        }
        guard !files.isEmpty else { throw ValidationError("no calibration images in \(calibration)") }
        if files.count > maxImages {
            files = (0..<maxImages).map { files[$0 * files.count / maxImages] }
        }
        var tensors: [Tensor] = []
        for path in files {
            do {
                let (decoded, info) = try ImageDecoder.decode(path: path, limits: intensity.limits)
                let bar = DataBarPolicy.resolve(info: info, configuredRows: dataBar.dataBarRows).rows
                guard let img = decoded.droppingBottomRows(bar) else {
                    throw DataError.sizeMismatch("\(path): a data bar of \(bar) rows leaves nothing of its \(decoded.width)×\(decoded.height) pixels")
                }
                tensors.append(Self.paddedTensor(img, config: net.config))
            } catch { logger.warning("calibration image skipped: \(error)") }
        }
        guard !tensors.isEmpty else { throw ValidationError("no readable calibration images in \(calibration)") }
        logger.info("calibrating on \(tensors.count) images from \(calibration)")

        let graph = InferenceGraphBuilder.build(net)
        let observers = try Quantizer.calibrate(graph: graph, images: tensors)
        let version = modelVersion ?? Self.timestamp()
        let sha = (try? SHA256.hex(fileAt: model)) ?? ""
        func build(_ m: CalibrationMethod) throws -> QuantizedModel {
            var options = Quantizer.Options()
            options.method = m
            options.percentile = percentile
            options.name = name
            options.version = version
            let prov = QuantizationProvenance(method: m, percentile: percentile,
                                              calibrationImages: files.map { ($0 as NSString).lastPathComponent },
                                              sourceCheckpoint: (model as NSString).lastPathComponent, sourceCheckpointSHA256: sha,
                                              created: ISO8601DateFormatter().string(from: Date()), logitAdjustment: adjustment)
            return try Quantizer.quantize(graph: graph, observers: observers, config: net.config, options: options, provenance: prov)
        }

        let evalSet: [TrainImage]? = try evalImages.map { dir in
            guard let masks = evalMasks else { throw ValidationError("--eval-images needs --eval-masks") }
            let inc = try evalList.map { try DatasetLoader.readList($0) }
            return try DatasetLoader.loadLabeled(imageDir: dir, maskDir: masks, include: inc, dataBarRows: dataBar.dataBarRows, limits: intensity.limits) { logger.notice("\($0)") }
        }
        let methods: [CalibrationMethod]
        if method == "auto" {
            guard evalSet != nil else { throw ValidationError("--method auto needs --eval-images and --eval-masks") }
            methods = CalibrationMethod.allCases
        } else {
            guard let m = CalibrationMethod(rawValue: method) else {
                throw ValidationError("unknown method '\(method)' (minmax, percentile, entropy, auto)")
            }
            methods = [m]
        }
        // auto: the int8 model must reproduce the fp32 network it came from, so a method qualifies
        // only with pixel agreement ≥ minAgreement; among those the best mIoU wins (none
        // qualifying: the highest agreement). An int8 mIoU *above* fp32 bought with low agreement is
        // clipping noise selected on the evaluation images, not a better model.
        var candidates: [(model: QuantizedModel, score: Double, agreement: Double)] = []
        for m in methods {
            let q = try build(m)
            if let set = evalSet {
                let r = try Int8Evaluator.evaluate(q, images: set, fp32: net)
                let score = r.metrics.paperMeanIoU ?? r.metrics.meanIoU()
                print(String(format: "%@: int8 mIoU %.4f%@, fp32 mIoU %.4f, pixel agreement %.4f", m.rawValue,
                             r.metrics.meanIoU(), r.metrics.paperMeanIoU.map { String(format: " (paper 4-class %.4f)", $0) } ?? "",
                             r.fp32Metrics?.meanIoU() ?? .nan, r.agreement ?? .nan))
                candidates.append((q, score, r.agreement ?? 0))
            } else {
                candidates.append((q, 0, 1))
            }
        }
        let qualifying = candidates.filter { $0.agreement >= Self.minAgreement }
        let chosen = (qualifying.isEmpty
            ? candidates.max { $0.agreement < $1.agreement }!
            : qualifying.max { $0.score < $1.score }!).model
        if methods.count > 1 {
            let why = qualifying.isEmpty
                ? "no method reached int8/fp32 pixel agreement ≥ \(Self.minAgreement): the highest agreement"
                : "best mIoU among methods with int8/fp32 pixel agreement ≥ \(Self.minAgreement)"
            print("chosen: \(chosen.info.provenance.method.rawValue) (\(why))")
        }
        try QuantizedModelFile.save(chosen, to: out)
        logger.info("wrote \(out) (\(chosen.info.provenance.method.rawValue) calibration, halo \(chosen.info.halo) px)")
        if let record {
            try CalibrationRecord(model: chosen, observers: observers).write(to: record)
            logger.info("wrote calibration record \(record)")
        }
    }

    /// The correction asked for by --logit-adjustment (nil for 0), with the class weights from
    /// --class-weights or else those the checkpoint recorded (`recorded`).
    func logitAdjustment(for net: SegmentationNet, recorded: String?) throws -> LogitAdjustment? {
        guard logitAdjustment != 0 else { return nil }
        guard logitAdjustment.isFinite, (0...2).contains(logitAdjustment) else {
            throw ValidationError("--logit-adjustment must be in 0...2 (got \(logitAdjustment))")
        }
        let k = net.numClasses
        guard let text = classWeights ?? recorded else {
            throw ValidationError("\(model) does not record its fine-tuning class weights (trained before they were recorded): pass --class-weights")
        }
        guard let w = ClassWeighting.parse(text, classes: k) else {
            throw ValidationError("class weights '\(text)': need \(k) non-negative numbers, comma-separated")
        }
        return LogitAdjustment(tau: logitAdjustment, classWeights: w)
    }

    /// Least int8/fp32 pixel agreement a calibration method needs to be chosen by `--method auto`.
    static let minAgreement = 0.995

    /// The image as a network with `config` is fed it (`Segmenter.modelInput`: per-image
    /// standardisation when the config asks), [1, 1, H, W], edge-replicated to multiples of 32.
    static func paddedTensor(_ img: GrayImage, config: ModelConfig) -> Tensor {
        Segmenter.paddedInput(width: img.width, height: img.height, pixels: Segmenter.modelInput(img.pixels, config: config))
    }

    static func timestamp() -> String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: Date())
    }
}
