import Foundation
import Logging
import MatSSLLite

/// The training half of a refresh: continued SSL on the pool, re-fine-tuning on the labeled set, or
/// the cheap AdaBN variant. Each phase checkpoints into the workspace and resumes from it.
struct CandidateTrainer {
    let config: RefreshConfig
    let workspace: RefreshWorkspace
    let logger: Logger

    enum PhaseEnd: Equatable { case finished, timeLimit, signal }

    static func phaseEnd(_ e: LoopEnd) -> PhaseEnd {
        switch e { case .finished: return .finished; case .timeLimit: return .timeLimit; case .signal: return .signal }
    }

    /// Continues SSL (GFF head, NT-Xent) from the base checkpoint's encoder and gates (the projector
    /// starts fresh), or resumes `ssl.safetensors`. Records (step, loss) into `lossCurve`.
    func runSSL(base: Checkpoint.Loaded, pool: [TrainImage], minutes: Double, lossCurve: inout [[Double]]) throws -> (PhaseEnd, TrainingState) {
        let out = workspace.sslCheckpoint
        try FileManager.default.createDirectory(atPath: workspace.directory, withIntermediateDirectories: true)
        let trainer: SSLTrainer
        let batch = min(config.sslBatch, max(pool.count, 2))
        if FileManager.default.fileExists(atPath: out) {
            let ck = try Checkpoint.load(path: out)
            trainer = try SSLTrainer(config: ck.config, images: pool, batch: Int(ck.state.provenance["batch"] ?? "") ?? batch,
                                     crop: Int(ck.state.provenance["crop"] ?? "") ?? config.sslCrop, state: ck.state, resume: ck)
            logger.info("SSL resumes at step \(ck.state.step)/\(ck.state.totalSteps)")
        } else {
            var state = TrainingState(kind: "ssl")
            state.seed = config.seed; state.totalSteps = config.sslSteps; state.optimizer = .sgd; state.weightDecay = 1e-5
            state.schedule = LRSchedule(base: config.sslLR, warmupSteps: min(50, config.sslSteps / 10 + 1), totalSteps: config.sslSteps)
            state.provenance = ["batch": "\(batch)", "crop": "\(config.sslCrop)", "init": base.path, "imageCount": "\(pool.count)",
                                "temperature": "\(config.sslTemperature)"]
            trainer = try SSLTrainer(config: base.config, images: pool, batch: batch, crop: config.sslCrop, state: state)
            let loaded = try Checkpoint.restore(base, into: trainer.net.store, strict: false)
            logger.info("SSL starts from \(loaded.count) tensors of \(base.path) (projector fresh), \(config.sslSteps) steps of \(batch) images")
        }
        trainer.temperature = Double(trainer.state.provenance["temperature"] ?? "") ?? config.sslTemperature
        var opts = LoopOptions(totalSteps: trainer.state.totalSteps, outPath: out)
        opts.maxMinutes = minutes; opts.checkpointMinutes = config.checkpointMinutes
        var progress = ProgressPrinter(logger: logger)
        let every = max(trainer.state.totalSteps / 50, 1)
        var curve = lossCurve
        let end = try trainer.run(options: opts) { r in
            progress.report(r)
            if r.step % every == 0 || r.step == r.totalSteps { curve.append([Double(r.step), r.loss]) }
        }
        lossCurve = curve
        return (Self.phaseEnd(end), trainer.state)
    }

    /// Re-fine-tunes the segmentation net: decoder and classifier from the base checkpoint, encoder and
    /// gates from the SSL checkpoint when there is one; the encoder's updates are scaled by
    /// `encoderLRFactor` (a lower learning rate, for SGD and AdamW alike), or resumes `finetune.safetensors`.
    func runFinetune(base: Checkpoint.Loaded, ssl: Checkpoint.Loaded?, train: [TrainImage], minutes: Double,
                     lossCurve: inout [[Double]]) throws -> (PhaseEnd, SegmentationTrainer) {
        let out = workspace.finetuneCheckpoint
        try FileManager.default.createDirectory(atPath: workspace.directory, withIntermediateDirectories: true)
        let trainer: SegmentationTrainer
        if FileManager.default.fileExists(atPath: out) {
            let ck = try Checkpoint.load(path: out)
            trainer = try SegmentationTrainer(config: ck.config, images: train, batch: Int(ck.state.provenance["batch"] ?? "") ?? config.finetuneBatch,
                                              crop: Int(ck.state.provenance["crop"] ?? "") ?? config.finetuneCrop, state: ck.state, resume: ck)
            logger.info("fine-tuning resumes at step \(ck.state.step)/\(ck.state.totalSteps)")
        } else {
            var state = TrainingState(kind: "segmentation")
            state.seed = config.seed; state.totalSteps = config.finetuneSteps; state.optimizer = .adamw; state.weightDecay = 1e-4
            state.schedule = LRSchedule(base: config.finetuneLR, warmupSteps: min(50, config.finetuneSteps / 10 + 1),
                                        totalSteps: config.finetuneSteps, minFactor: 0.01)
            state.provenance = ["batch": "\(config.finetuneBatch)", "crop": "\(config.finetuneCrop)", "init": base.path,
                                "ssl": ssl?.path ?? "", "trainCount": "\(train.count)", "encoderLRFactor": "\(config.encoderLRFactor)"]
            trainer = try SegmentationTrainer(config: base.config, images: train, batch: config.finetuneBatch, crop: config.finetuneCrop,
                                              state: state, initFrom: base) { logger.info("\($0)") }
            if let ssl {
                // Encoder + gates from SSL; the SSL file has no decoder tensors, so those stay from base.
                let names = try Checkpoint.restore(ssl, into: trainer.net.store, strict: false)
                logger.info("encoder and gates from SSL: \(names.count) tensors")
            }
        }
        var opts = LoopOptions(totalSteps: trainer.state.totalSteps, outPath: out)
        opts.maxMinutes = minutes; opts.checkpointMinutes = config.checkpointMinutes
        var progress = ProgressPrinter(logger: logger)
        let every = max(trainer.state.totalSteps / 50, 1)
        var curve = lossCurve
        let end = try trainer.run(options: opts) { r in
            progress.report(r)
            if r.step % every == 0 || r.step == r.totalSteps { curve.append([Double(r.step), r.loss]) }
        }
        lossCurve = curve
        return (Self.phaseEnd(end), trainer)
    }

    /// AdaBN: the base network with every batch-norm's running statistics re-estimated on the pool
    /// (cumulative average over `batches` batches of plain random crops; no weight changes).
    func adaBN(base: Checkpoint.Loaded, pool: [TrainImage], batches: Int) throws -> SegmentationNet {
        let net = try SegmentationNet(config: base.config)
        try Checkpoint.restore(base, into: net.store, strict: true)
        for bn in net.batchNorms {
            let m = net.store.value(bn.runningMean), v = net.store.value(bn.runningVar)
            for i in 0..<bn.channels { m[i] = 0; v[i] = 1 }
        }
        net.training = true
        var rng = RandomState(seed: config.seed)
        let crop = config.finetuneCrop, batch = max(2, min(config.finetuneBatch, 8))
        for k in 0..<batches {
            for bn in net.batchNorms { bn.momentum = 1 / Float(k + 1) }
            let x = Tensor([batch, 1, crop, crop])
            for b in 0..<batch {
                let img = pool[rng.int(pool.count)]
                let x0 = img.width > crop ? rng.int(img.width - crop + 1) : 0
                let y0 = img.height > crop ? rng.int(img.height - crop + 1) : 0
                for i in 0..<crop {
                    let sy = min(y0 + i, img.height - 1)
                    for j in 0..<crop {
                        x[b * crop * crop + i * crop + j] = Float(img.pixels[sy * img.width + min(x0 + j, img.width - 1)]) / 255
                    }
                }
            }
            _ = try net.forward(x)
        }
        for bn in net.batchNorms { bn.momentum = 0.1 }
        net.training = false
        return net
    }
}
