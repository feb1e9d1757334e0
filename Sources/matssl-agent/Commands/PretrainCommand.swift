import ArgumentParser
import Foundation
import Logging
import MatSSLLite
import QuantKernels

/// Options shared by the training commands.
struct TrainingRunOptions: ParsableArguments {
    @Option(help: "Threads (OpenBLAS GEMMs and batch-parallel augmentation).") var threads: Int = 2
    @Option(help: "Stop after this many minutes (with a checkpoint).") var maxMinutes: Double?
    @Option(help: "Minutes between checkpoints.") var checkpointMinutes: Double = 5
    @Flag(help: "Continue exactly from --out (parameters, optimizer, schedule, data order).") var resume = false
    @Option(help: "Random seed.") var seed: UInt64 = 1
}

/// Progress display: a bar with ETA on a TTY, plain log lines otherwise.
struct ProgressPrinter {
    let tty = isatty(STDERR_FILENO) != 0
    let logger: Logger
    var lastLine = Date.distantPast
    var every: TimeInterval

    init(logger: Logger, every: TimeInterval = 30) { self.logger = logger; self.every = every }

    mutating func report(_ r: StepReport) {
        let now = Date()
        let eta = r.etaSeconds.isFinite ? String(format: "%d:%02d:%02d", Int(r.etaSeconds) / 3600, Int(r.etaSeconds) / 60 % 60, Int(r.etaSeconds) % 60) : "?"
        let text = String(format: "step %d/%d loss %.4f lr %.2e %.1f img/s ETA %@ %@", r.step, r.totalSteps, r.loss, r.lr,
                          r.imagesPerSecond, eta, r.extra)
        if tty {
            let width = 30, filled = Int(Double(width) * Double(r.step) / Double(max(r.totalSteps, 1)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data("\r[\(bar)] \(text)\u{1B}[K".utf8))
            if r.step == r.totalSteps { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if now.timeIntervalSince(lastLine) >= every || r.step == r.totalSteps || r.step <= 3 {
            logger.info("\(text)")
            lastLine = now
        }
    }
}

/// Batch-parallel C kernels on `n` threads with single-threaded OpenBLAS inside each (never both).
func configureComputeThreads(_ n: Int) {
    qk_blas_set_threads(1)
    qk_f32_set_threads(Int32(max(n, 1)))
}

func parseIntList(_ s: String, count: Int, name: String) throws -> [Int] {
    let v = s.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard v.count == count, v.allSatisfy({ $0 > 0 }) else { throw ValidationError("--\(name) needs \(count) positive integers, got '\(s)'") }
    return v
}

/// `matssl-agent pretrain`: MatSSL self-supervised pretraining (GFF head, NT-Xent) on unlabeled micrographs.
struct PretrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pretrain",
        abstract: "Self-supervised pretraining (MatSSL: gated feature fusion + NT-Xent) on unlabeled images.")

    @Option(name: .customLong("images"), parsing: .upToNextOption, help: "Directories of unlabeled images.") var images: [String]
    @Option(help: "Checkpoint to write (safetensors).") var out: String
    @Option(help: "Continue from this checkpoint's encoder and gates (SSL or segmentation; its architecture and input normalisation are kept, the projector starts fresh).") var `init`: String?
    @Option(help: "Epochs (passes over the images).") var epochs: Int = 100
    @Option(help: "Total steps (overrides --epochs).") var steps: Int?
    @Option(help: "Images per step (2 views each).") var batch: Int = 32
    @Option(help: "View size (multiple of 32).") var crop: Int = 224
    @Option(help: "Peak learning rate (SGD momentum 0.9, cosine).") var lr: Double = 0.1
    @Option(help: "Warm-up steps.") var warmup: Int = 100
    @Option(help: "Weight decay (conv/linear weights).") var weightDecay: Float = 1e-5
    @Option(help: "NT-Xent temperature.") var temperature: Double = 0.07
    @Option(help: "Stage widths.") var widths: String = "32,64,128,256"
    @Option(help: "Blocks per stage.") var depths: String = "2,2,2,2"
    @Option(help: "Stem kernel (7 or 3).") var stemKernel: Int = 7
    @Flag(inversion: .prefixedNo, help: "Gated Feature Fusion (--no-gff-gates: plain concatenation, the ablation). With --init the checkpoint's setting is kept.") var gffGates = true
    @OptionGroup var common: TrainingRunOptions
    @OptionGroup var dataBar: DataBarOption
    @OptionGroup var intensity: IntensityRangeOption

    func run() throws {
        let logger = Logger(label: "pretrain")
        configureComputeThreads(common.threads)
        StopSignal.install()
        let imgs = try DatasetLoader.loadUnlabeled(dirs: images, dataBarRows: dataBar.dataBarRows, limits: intensity.limits) { logger.warning("\($0)") }
        logger.info("loaded \(imgs.count) images from \(images.joined(separator: ", "))")
        var resumeCk: Checkpoint.Loaded? = nil, initCk: Checkpoint.Loaded? = nil
        var config = ModelConfig()
        var state = TrainingState(kind: "ssl")
        if common.resume {
            let ck = try Checkpoint.load(path: out)
            guard ck.state.kind == "ssl" else { throw ValidationError("\(out) is not an SSL checkpoint") }
            resumeCk = ck; config = ck.config; state = ck.state
            logger.info("resuming \(out) at step \(ck.state.step)/\(ck.state.totalSteps)")
            if let n = ck.state.provenance["imageCount"], n != "\(imgs.count)" {
                logger.warning("the checkpoint was trained on \(n) images, now \(imgs.count): the data order will differ from an uninterrupted run")
            }
            if (ck.state.provenance["dataBarRows"] ?? "0") != "\(dataBar.dataBarRows)" {
                logger.warning("the checkpoint was trained with a \(ck.state.provenance["dataBarRows"] ?? "0")-row data bar cropped, now \(dataBar.dataBarRows)")
            }
        } else {
            if let p = self.`init` {
                initCk = try Checkpoint.load(path: p)
                config = initCk!.config
                config.classNames = []; config.classColors = []
            } else {
                config.widths = try parseIntList(widths, count: 4, name: "widths")
                config.depths = try parseIntList(depths, count: 4, name: "depths")
                config.stemKernel = stemKernel
                config.gffGates = gffGates
                // Dataset intensity statistics for normalisation.
                var s = 0.0, ss = 0.0, n = 0.0
                for im in imgs { for p in im.pixels { let v = Double(p) / 255; s += v; ss += v * v }; n += Double(im.pixels.count) }
                config.mean = Float(s / n); config.std = Float(max((ss / n - (s / n) * (s / n)).squareRoot(), 1e-3))
            }
            let perEpoch = (imgs.count + batch - 1) / batch
            let total = steps ?? epochs * perEpoch
            state.seed = common.seed; state.totalSteps = total; state.optimizer = .sgd; state.weightDecay = weightDecay
            state.schedule = LRSchedule(base: lr * Double(batch) / 32, warmupSteps: min(warmup, total / 10 + 1), totalSteps: total)
            state.provenance = ["images": images.joined(separator: ","), "batch": "\(batch)", "crop": "\(crop)",
                                "temperature": "\(temperature)", "started": ISO8601DateFormatter().string(from: Date()),
                                "imageCount": "\(imgs.count)", "init": self.`init` ?? ""].merging(dataBar.provenance) { $1 }.merging(intensity.provenance) { $1 }
        }
        let batchSize = Int(state.provenance["batch"] ?? "") ?? batch
        let cropSize = Int(state.provenance["crop"] ?? "") ?? crop
        let trainer = try SSLTrainer(config: config, images: imgs, batch: batchSize, crop: cropSize, state: state, resume: resumeCk)
        trainer.temperature = Double(state.provenance["temperature"] ?? "") ?? temperature
        if let ck = initCk {
            let names = try Checkpoint.restore(ck, into: trainer.net.store, strict: false) { !$0.hasPrefix("projector.") }
            logger.info("encoder and gates from \(ck.path): \(names.count) tensors (projector fresh)")
        }
        var opts = LoopOptions(totalSteps: trainer.state.totalSteps, outPath: out)
        opts.maxMinutes = common.maxMinutes; opts.checkpointMinutes = common.checkpointMinutes
        logger.info("SSL: \(trainer.net.store.parameterCount) parameters, \(trainer.state.totalSteps) steps of \(batchSize) images (\(2 * batchSize) views at \(cropSize)²), BLAS \(String(cString: qk_blas_corename())), \(qk_f32_threads()) kernel threads")
        var progress = ProgressPrinter(logger: logger)
        let end = try trainer.run(options: opts) { progress.report($0) }
        logger.info("pretrain ended (\(end.rawValue)) at step \(trainer.state.step)/\(trainer.state.totalSteps); checkpoint \(out)")
        if end == .signal { throw ExitCode(130) }
    }
}
