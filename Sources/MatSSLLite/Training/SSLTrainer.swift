import Foundation
import QuantKernels

/// Self-supervised pretraining (MatSSL: GFF head + NT-Xent) of an SSLNet on unlabeled images.
/// Each step: `batch` images → 2 augmented views each → [2·batch, 1, crop, crop].
public final class SSLTrainer {
    public let net: SSLNet
    public let optimizer: Optimizer
    public var state: TrainingState
    public let images: [TrainImage]
    public let batch: Int, crop: Int
    public var temperature: Double = 0.07
    var order: SampleOrder

    /// Fresh run (state.step == 0) or resume (pass the loaded checkpoint).
    public init(config: ModelConfig, images: [TrainImage], batch: Int, crop: Int, state: TrainingState,
                resume: Checkpoint.Loaded? = nil) throws {
        guard !images.isEmpty else { throw DataError.noImages("SSL pretraining needs images") }
        guard batch >= 2 else { throw ModelError.invalidConfig("SSL batch must be ≥ 2") }
        // Per-image standardisation (`ModelConfig.standardizeIntensity`) before any augmentation.
        let st = IntensityStandardization(config: config)
        self.images = st.map { s in images.map { s.apply($0) } } ?? images
        self.batch = batch; self.crop = crop
        net = try SSLNet(config: config, seed: state.seed)
        self.state = state
        optimizer = Optimizer(state.optimizer, store: net.store, weightDecay: state.weightDecay)
        if let ck = resume {
            self.state = try Checkpoint.resume(ck, store: net.store, optimizer: optimizer)
        }
        order = SampleOrder(count: images.count, seed: self.state.seed)
    }

    /// Builds the views of step s: [2·batch, 1, crop, crop].
    public func views(step s: Int) -> Tensor {
        let t = Tensor([2 * batch, 1, crop, crop])
        let idx = (0..<batch).map { order.index(s * batch + $0) }
        let plane = crop * crop
        let imgs = images, c = crop, b = batch, ord = order
        let base = t.data
        DispatchQueue.concurrentPerform(iterations: 2 * b) { v in
            var rng = ord.rng(step: s, item: v)
            Augment.sslView(imgs[idx[v % b]], size: c, rng: &rng, out: base + v * plane)
        }
        return t
    }

    /// One optimisation step; returns (loss, lr).
    public func trainStep(_ s: Int) throws -> (loss: Double, lr: Double) {
        let v = views(step: s)
        net.store.zeroGrads()
        net.training = true
        let z = try net.forward(v)
        let (loss, dz) = NTXentLoss.compute(z, temperature: temperature)
        net.backward(dz)
        let lr = state.schedule.rate(at: s)
        optimizer.step(lr: Float(lr))
        return (loss, lr)
    }

    public func save(path: String, state: TrainingState) throws {
        try Checkpoint.save(path: path, config: net.config, store: net.store, state: state, optimizer: optimizer)
    }

    public func run(options: LoopOptions, progress: (StepReport) -> Void) throws -> LoopEnd {
        var st = state
        let end = try runTrainingLoop(state: &st, options: options, imagesPerStep: batch,
                                      step: { s in let r = try self.trainStep(s); return (r.loss, r.lr, "") },
                                      save: { try self.save(path: options.outPath, state: $0) }, progress: progress)
        state = st
        return end
    }
}
