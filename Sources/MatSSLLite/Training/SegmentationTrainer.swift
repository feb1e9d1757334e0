import Foundation

/// Fine-tuning of a SegmentationNet on labeled images: random crops (crop²) with flips/rotations and
/// intensity jitter (`IntensityJitter`, provenance "intensityJitter", default mild); loss =
/// class-weighted cross-entropy (`ClassWeighting`) + Dice × provenance "diceWeight" (default 1).
public final class SegmentationTrainer {
    public let net: SegmentationNet
    public let optimizer: Optimizer
    public var state: TrainingState
    public let images: [TrainImage]
    public let batch: Int, crop: Int
    public var loss: SegmentationLoss
    public static let ignoreIndex: UInt8 = 255
    /// Brightness/contrast jitter of the training crops.
    public let jitter: IntensityJitter
    var order: SampleOrder
    /// Scales every update of the encoder (stem, stages, GFF gates) — a lower encoder learning rate
    /// for SGD and AdamW alike (weight decay included). From `state.provenance["encoderLRFactor"]`
    /// (default 1), so a resumed run keeps it.
    public var encoderLRFactor: Float {
        Float(state.provenance["encoderLRFactor"] ?? "") ?? 1
    }
    private lazy var encoderEntries: [ParameterEntry] = net.store.entries.filter { $0.trainable && Self.isEncoderTensor($0.name) }

    /// Encoder (ResNet stem and stages) and GFF gates: everything but the decoder, classifier and projector.
    public static func isEncoderTensor(_ name: String) -> Bool {
        !(name.hasPrefix("decoder.") || name.hasPrefix("classifier") || name.hasPrefix("projector."))
    }

    /// `initFrom`: an SSL (or segmentation) checkpoint whose matching tensors (encoder, gates)
    /// initialise the net; `resume`: a fine-tuning checkpoint to continue exactly.
    public init(config: ModelConfig, images: [TrainImage], batch: Int, crop: Int, state: TrainingState,
                initFrom: Checkpoint.Loaded? = nil, resume: Checkpoint.Loaded? = nil,
                log: (String) -> Void = { _ in }) throws {
        guard !images.isEmpty else { throw DataError.noImages("fine-tuning needs labeled images") }
        guard crop % 32 == 0, crop >= 32 else { throw ModelError.invalidConfig("crop must be a multiple of 32") }
        let classes = config.classNames.count
        for img in images {
            guard let l = img.labels else { throw DataError.missingMask(image: img.name, expected: "labels") }
            if let bad = l.first(where: { $0 >= classes && $0 != SegmentationTrainer.ignoreIndex }) {
                throw DataError.badLabel("\(img.name): label \(bad) but only \(classes) classes")
            }
        }
        // Per-image standardisation (`ModelConfig.standardizeIntensity`) before cropping and jitter.
        let st = IntensityStandardization(config: config)
        self.images = st.map { s in images.map { s.apply($0) } } ?? images
        self.batch = batch; self.crop = crop
        net = try SegmentationNet(config: config, seed: state.seed)
        self.state = state
        optimizer = Optimizer(state.optimizer, store: net.store, weightDecay: state.weightDecay)
        if let ck = resume {
            self.state = try Checkpoint.resume(ck, store: net.store, optimizer: optimizer)
        } else if let ck = initFrom {
            let names = try Checkpoint.restore(ck, into: net.store, strict: false)
            log("initialised \(names.count) of \(net.store.entries.count) tensors from \(ck.path)")
        }
        order = SampleOrder(count: images.count, seed: self.state.seed)
        // Class weights by the run's weighting (provenance "classWeighting"; checkpoints from before
        // the option have none and used inverse-sqrt). Recorded as "classWeights" for LogitAdjustment.
        guard let weighting = ClassWeighting(rawValue: self.state.provenance["classWeighting"] ?? ClassWeighting.inverseSqrt.rawValue) else {
            throw ModelError.invalidConfig("unknown class weighting '\(self.state.provenance["classWeighting"] ?? "")'")
        }
        let w = weighting.weights(labels: images.map { $0.labels! }, classes: classes)
        loss = SegmentationLoss(classes: classes, classWeights: w.map { Float($0) })
        loss.ignoreIndex = SegmentationTrainer.ignoreIndex
        self.state.provenance["classWeighting"] = weighting.rawValue
        self.state.provenance["classWeights"] = ClassWeighting.format(loss.classWeights)
        // Crop intensity jitter (provenance "intensityJitter"; runs from before the option used mild).
        guard let j = IntensityJitter(rawValue: self.state.provenance["intensityJitter"] ?? IntensityJitter.mild.rawValue) else {
            throw ModelError.invalidConfig("unknown intensity jitter '\(self.state.provenance["intensityJitter"] ?? "")'")
        }
        jitter = j
        self.state.provenance["intensityJitter"] = j.rawValue
        // Weight of the Dice term (provenance "diceWeight"; runs from before the option used 1).
        guard let dw = Float(self.state.provenance["diceWeight"] ?? "1"), dw >= 0, dw.isFinite else {
            throw ModelError.invalidConfig("invalid Dice weight '\(self.state.provenance["diceWeight"] ?? "")'")
        }
        loss.diceWeight = dw
        self.state.provenance["diceWeight"] = "\(dw)"
    }

    /// Crops of step s: images [batch, 1, crop, crop], labels batch·crop².
    public func batchData(step s: Int) -> (Tensor, [UInt8]) {
        let t = Tensor([batch, 1, crop, crop])
        var labels = [UInt8](repeating: 0, count: batch * crop * crop)
        let idx = (0..<batch).map { order.index(s * batch + $0) }
        let plane = crop * crop, imgs = images, c = crop, ord = order, jit = jitter
        let base = t.data
        labels.withUnsafeMutableBufferPointer { lb in
            let lbase = lb.baseAddress!
            DispatchQueue.concurrentPerform(iterations: batch) { v in
                var rng = ord.rng(step: s, item: v)
                Augment.segmentationCrop(imgs[idx[v]], size: c, rng: &rng, ignore: SegmentationTrainer.ignoreIndex,
                                         jitter: jit, out: base + v * plane, labels: lbase + v * plane)
            }
        }
        return (t, labels)
    }

    public func trainStep(_ s: Int) throws -> (loss: Double, lr: Double, extra: String) {
        let (x, y) = batchData(step: s)
        net.store.zeroGrads()
        net.training = true
        let logits = try net.forward(x)
        let r = loss.compute(logits: logits, labels: y)
        net.backward(r.grad)
        let lr = state.schedule.rate(at: s)
        let factor = encoderLRFactor
        let store = net.store
        let before = factor != 1 ? encoderEntries.map { Array(UnsafeBufferPointer(start: store.pointer($0), count: $0.count)) } : []
        optimizer.step(lr: Float(lr))
        if factor != 1 {
            for (e, old) in zip(encoderEntries, before) {
                let p = store.pointer(e)
                for i in 0..<e.count { p[i] = old[i] + factor * (p[i] - old[i]) }
            }
        }
        return (r.loss, lr, String(format: "ce %.3f dice %.3f", r.ce, r.dice))
    }

    public func save(path: String, state: TrainingState) throws {
        try Checkpoint.save(path: path, config: net.config, store: net.store, state: state, optimizer: optimizer)
    }

    public func run(options: LoopOptions, progress: (StepReport) -> Void) throws -> LoopEnd {
        var st = state
        let end = try runTrainingLoop(state: &st, options: options, imagesPerStep: batch,
                                      step: { s in try self.trainStep(s) },
                                      save: { try self.save(path: options.outPath, state: $0) }, progress: progress)
        state = st
        return end
    }
}
