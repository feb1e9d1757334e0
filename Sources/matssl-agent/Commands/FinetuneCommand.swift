import ArgumentParser
import Foundation
import Logging
import MatSSLLite
import QuantKernels

/// `matssl-agent finetune`: trains the segmentation net (encoder from an SSL checkpoint) on labeled images.
struct FinetuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "finetune",
        abstract: "Fine-tune the segmentation network on labeled images (mask for X.jpg is X.png).")

    @Option(help: "Directory of labeled images.") var images: String
    @Option(help: "Directory of masks (X.png for image X.*; pixel value = class id).") var masks: String
    @Option(help: "SSL (or segmentation) checkpoint whose encoder and gates initialise the net.") var `init`: String?
    @Option(help: "Checkpoint whose encoder and gates replace those from --init (e.g. after in-domain SSL with `pretrain --init`).") var encoder: String?
    @Option(help: "Scale of the encoder's updates relative to the decoder's (a lower encoder learning rate), 0...1.") var encoderLrFactor: Double = 1
    @Option(help: "Checkpoint to write.") var out: String
    @Option(help: "File listing validation images (left out of training, evaluated at checkpoints).") var valList: String?
    @Option(help: "Total steps.") var steps: Int = 2000
    @Option(help: "Crops per step.") var batch: Int = 8
    @Option(help: "Crop size (multiple of 32).") var crop: Int = 256
    @Option(help: "Peak learning rate (AdamW, cosine).") var lr: Double = 1e-3
    @Option(help: "Warm-up steps.") var warmup: Int = 100
    @Option(help: "Cross-entropy class weights: inverse-sqrt (rare classes up) or uniform.") var classWeighting: String = ClassWeighting.inverseSqrt.rawValue
    @Option(help: "Brightness/contrast jitter of the training crops: mild (p 0.5, ×0.85–1.15) or strong (p 0.8, brightness ×0.7–1.3, contrast ×0.65–1.5).") var intensityJitter: String = IntensityJitter.mild.rawValue
    @Option(help: ArgumentHelp("Weight of the soft Dice term in the loss (0: class-weighted cross-entropy alone).",
                               discussion: "With 0, quantize --logit-adjustment 1 undoes the class weights exactly (docs/training.md).")) var diceWeight: Double = 1
    @Flag(help: ArgumentHelp("Standardise every image's brightness and contrast to the normalisation's mean/std before the network (recorded in the model; inference does the same).",
                             discussion: "Kept when --init is a segmentation checkpoint that already standardises.")) var standardizeIntensity = false
    @Option(help: "Weight decay (AdamW, conv weights).") var weightDecay: Float = 1e-4
    @Option(help: "Class names, comma-separated, in label order.") var classes: String = ModelConfig.metalDAMClasses.joined(separator: ",")
    @Option(help: "Decoder widths at strides 16,8,4,2,1 (default: those of an --init segmentation checkpoint, else 128,64,32,16,8).") var decoderWidths: String?
    @Option(help: "Architecture when not initialised from a checkpoint: stage widths.") var widths: String = "32,64,128,256"
    @Option(help: "Blocks per stage (without --init).") var depths: String = "2,2,2,2"
    @OptionGroup var common: TrainingRunOptions
    @OptionGroup var dataBar: DataBarOption
    @OptionGroup var intensity: IntensityRangeOption

    func validate() throws {
        guard ClassWeighting(rawValue: classWeighting) != nil else {
            throw ValidationError("--class-weighting must be one of \(ClassWeighting.allCases.map(\.rawValue).joined(separator: ", ")) (got \(classWeighting))")
        }
        guard IntensityJitter(rawValue: intensityJitter) != nil else {
            throw ValidationError("--intensity-jitter must be one of \(IntensityJitter.allCases.map(\.rawValue).joined(separator: ", ")) (got \(intensityJitter))")
        }
        guard diceWeight >= 0, diceWeight.isFinite else { throw ValidationError("--dice-weight must be ≥ 0 (got \(diceWeight))") }
        guard (0...1).contains(encoderLrFactor) else { throw ValidationError("--encoder-lr-factor must be in 0...1 (got \(encoderLrFactor))") }
    }

    func run() throws {
        let logger = Logger(label: "finetune")
        configureComputeThreads(common.threads)
        StopSignal.install()
        let val = try valList.map { try DatasetLoader.readList($0) } ?? []
        let train = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, exclude: val, dataBarRows: dataBar.dataBarRows, limits: intensity.limits) { logger.notice("\($0)") }
        let valImgs = val.isEmpty ? [] : try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, include: val, dataBarRows: dataBar.dataBarRows, limits: intensity.limits) { logger.notice("\($0)") }
        logger.info("\(train.count) training images, \(valImgs.count) validation images (\(val.sorted().joined(separator: ", ")))")
        let names = classes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var config = ModelConfig()
        var state = TrainingState(kind: "segmentation")
        var resumeCk: Checkpoint.Loaded? = nil, initCk: Checkpoint.Loaded? = nil
        if common.resume {
            let ck = try Checkpoint.load(path: out)
            guard ck.state.kind == "segmentation" else { throw ValidationError("\(out) is not a fine-tuning checkpoint") }
            resumeCk = ck; config = ck.config; state = ck.state
            logger.info("resuming \(out) at step \(ck.state.step)/\(ck.state.totalSteps)")
            if let n = ck.state.provenance["trainCount"], n != "\(train.count)" {
                logger.warning("the checkpoint was trained on \(n) images, now \(train.count): the data order will differ from an uninterrupted run")
            }
            if (ck.state.provenance["dataBarRows"] ?? "0") != "\(dataBar.dataBarRows)" {
                logger.warning("the checkpoint was trained with a \(ck.state.provenance["dataBarRows"] ?? "0")-row data bar cropped, now \(dataBar.dataBarRows)")
            }
        } else {
            if let p = self.`init` {
                let ck = try Checkpoint.load(path: p)
                initCk = ck
                config = ck.config
            } else {
                config.widths = try parseIntList(widths, count: 4, name: "widths")
                config.depths = try parseIntList(depths, count: 4, name: "depths")
                var s = 0.0, ss = 0.0, n = 0.0
                for im in train { for p in im.pixels { let v = Double(p) / 255; s += v; ss += v * v }; n += Double(im.pixels.count) }
                config.mean = Float(s / n); config.std = Float(max((ss / n - (s / n) * (s / n)).squareRoot(), 1e-3))
            }
            config.classNames = names
            config.classColors = ModelConfig.defaultColors(names.count)
            if let d = decoderWidths { config.decoderWidths = try parseIntList(d, count: 5, name: "decoder-widths") }
            if standardizeIntensity { config.standardizeIntensity = true }
            state.seed = common.seed; state.totalSteps = steps; state.optimizer = .adamw; state.weightDecay = weightDecay
            state.schedule = LRSchedule(base: lr, warmupSteps: min(warmup, steps / 10 + 1), totalSteps: steps, minFactor: 0.01)
            state.provenance = ["images": images, "masks": masks, "init": self.`init` ?? "", "valList": valList ?? "",
                                "val": val.sorted().joined(separator: ","), "batch": "\(batch)", "crop": "\(crop)",
                                "started": ISO8601DateFormatter().string(from: Date()), "trainCount": "\(train.count)",
                                "encoder": encoder ?? "", "encoderLRFactor": "\(encoderLrFactor)",
                                "classWeighting": classWeighting, "intensityJitter": intensityJitter,
                                "diceWeight": "\(diceWeight)"].merging(dataBar.provenance) { $1 }.merging(intensity.provenance) { $1 }
        }
        let trainer = try SegmentationTrainer(config: config, images: train,
                                              batch: Int(state.provenance["batch"] ?? "") ?? batch,
                                              crop: Int(state.provenance["crop"] ?? "") ?? crop,
                                              state: state, initFrom: initCk, resume: resumeCk) { logger.info("\($0)") }
        if resumeCk == nil, let encoder {
            let ck = try Checkpoint.load(path: encoder)
            let a = ck.config, b = config
            guard a.widths == b.widths, a.depths == b.depths, a.stemKernel == b.stemKernel, a.gffGates == b.gffGates,
                  a.mean == b.mean, a.std == b.std, a.standardizeIntensity == b.standardizeIntensity else {
                throw ValidationError("--encoder \(encoder) has another architecture or input normalisation than the network it would go into")
            }
            let names = try Checkpoint.restore(ck, into: trainer.net.store, strict: false, including: SegmentationTrainer.isEncoderTensor)
            logger.info("encoder and gates from \(encoder): \(names.count) tensors")
        }
        if trainer.encoderLRFactor != 1 { logger.info("encoder updates scaled by \(trainer.encoderLRFactor)") }
        if trainer.net.config.standardizeIntensity {
            logger.info("per-image intensity standardisation to mean \(trainer.net.config.mean), std \(trainer.net.config.std)")
        }
        if trainer.loss.diceWeight != 1 { logger.info("Dice weight \(trainer.loss.diceWeight)") }
        logger.info("class weights \(trainer.loss.classWeights.map { String(format: "%.2f", $0) }.joined(separator: ","))")
        var opts = LoopOptions(totalSteps: trainer.state.totalSteps, outPath: out)
        opts.maxMinutes = common.maxMinutes; opts.checkpointMinutes = common.checkpointMinutes
        var progress = ProgressPrinter(logger: logger)
        let end = try trainer.run(options: opts) { progress.report($0) }
        logger.info("finetune ended (\(end.rawValue)) at step \(trainer.state.step)/\(trainer.state.totalSteps); checkpoint \(out)")
        if !valImgs.isEmpty && end != .signal {
            let m = try Segmenter.evaluate(trainer.net, images: valImgs)
            logger.info("validation: \(EvaluateCommand.summary(m, names: config.classNames))")
        }
        if end == .signal { throw ExitCode(130) }
    }
}
