import Foundation
import Testing
@testable import MatSSLLite

@Suite(.serialized) struct TrainingTests {
    /// Synthetic two-phase micrographs: bright discs (class 1) on a dark noisy matrix (class 0).
    static func syntheticSet(count: Int, size: Int, seed: UInt64) -> [TrainImage] {
        var rng = RandomState(seed: seed)
        return (0..<count).map { k in
            var px = [Float](repeating: 0, count: size * size), lb = [UInt8](repeating: 0, count: size * size)
            let discs = (0..<4).map { _ in (rng.uniform(0, Float(size)), rng.uniform(0, Float(size)), rng.uniform(4, 10)) }
            for y in 0..<size { for x in 0..<size {
                let inside = discs.contains { (Float(x) - $0.0) * (Float(x) - $0.0) + (Float(y) - $0.1) * (Float(y) - $0.1) < $0.2 * $0.2 }
                px[y * size + x] = (inside ? 0.75 : 0.3) + 0.05 * rng.normal()
                lb[y * size + x] = inside ? 1 : 0
            } }
            return TrainImage(name: "syn\(k)", width: size, height: size, floatPixels: px, labels: lb)
        }
    }

    static func smallConfig() -> ModelConfig {
        var c = ModelConfig()
        c.widths = [8, 8, 16, 16]; c.depths = [1, 1, 1, 1]; c.stemKernel = 3
        c.decoderWidths = [16, 8, 8, 8, 8]; c.projectorHidden = 16; c.projectorDim = 8
        c.classNames = ["matrix", "disc"]
        return c
    }

    static func segState(steps: Int) -> TrainingState {
        var st = TrainingState(kind: "segmentation")
        st.totalSteps = steps; st.optimizer = .adamw; st.weightDecay = 1e-4; st.seed = 5
        st.schedule = LRSchedule(base: 3e-3, warmupSteps: 2, totalSteps: steps)
        return st
    }

    @Test func fineTuningLossFallsOnSyntheticSet() throws {
        let imgs = Self.syntheticSet(count: 4, size: 64, seed: 1)
        let t = try SegmentationTrainer(config: Self.smallConfig(), images: imgs, batch: 2, crop: 32, state: Self.segState(steps: 30))
        var losses: [Double] = []
        for s in 0..<30 { losses.append(try t.trainStep(s).loss) }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(5).reduce(0, +) / 5
        #expect(last < 0.8 * first, "loss \(first) → \(last)")
    }

    /// One step with encoderLRFactor 0.5 moves every encoder tensor half as far as with factor 1,
    /// and the decoder exactly as far.
    @Test func encoderUpdatesAreScaledByTheEncoderLRFactor() throws {
        let imgs = Self.syntheticSet(count: 3, size: 48, seed: 4)
        func oneStep(_ factor: String?) throws -> (before: [String: [Float]], after: [String: [Float]]) {
            var st = Self.segState(steps: 4)
            st.schedule = LRSchedule(base: 3e-3, warmupSteps: 0, totalSteps: 4)
            if let factor { st.provenance["encoderLRFactor"] = factor }
            let t = try SegmentationTrainer(config: Self.smallConfig(), images: imgs, batch: 2, crop: 32, state: st)
            func snapshot() -> [String: [Float]] {
                Dictionary(uniqueKeysWithValues: t.net.store.entries.filter(\.trainable).map {
                    ($0.name, Array(UnsafeBufferPointer(start: t.net.store.pointer($0), count: $0.count)))
                })
            }
            let b = snapshot()
            _ = try t.trainStep(0)
            return (b, snapshot())
        }
        let full = try oneStep(nil), half = try oneStep("0.5")
        #expect(full.before == half.before)
        var encoder = 0, decoder = 0
        for (name, b) in full.before {
            let df = zip(full.after[name]!, b).map { $0 - $1 }, dh = zip(half.after[name]!, b).map { $0 - $1 }
            let want: Float = SegmentationTrainer.isEncoderTensor(name) ? 0.5 : 1
            let err = zip(dh, df).map { abs($0 - want * $1) }.max() ?? 0
            let scale = df.map(abs).max() ?? 0
            #expect(err <= 1e-6 + 1e-4 * scale, "\(name): scaled update off by \(err) (update \(scale))")
            if scale > 0 { if want == 0.5 { encoder += 1 } else { decoder += 1 } }
        }
        #expect(encoder > 5 && decoder > 5)
    }

    @Test func resumedFineTuningReproducesUninterruptedLosses() throws {
        let imgs = Self.syntheticSet(count: 3, size: 48, seed: 2)
        let path = NSTemporaryDirectory() + "matssl-resume-\(getpid()).safetensors"
        defer { unlink(path) }
        let full = try SegmentationTrainer(config: Self.smallConfig(), images: imgs, batch: 2, crop: 32, state: Self.segState(steps: 6))
        let reference = try (0..<6).map { try full.trainStep($0).loss }
        let first = try SegmentationTrainer(config: Self.smallConfig(), images: imgs, batch: 2, crop: 32, state: Self.segState(steps: 6))
        var opts = LoopOptions(totalSteps: 3, outPath: path)
        opts.checkpointMinutes = 100
        var seen: [Double] = []
        _ = try first.run(options: opts) { seen.append($0.loss) }
        let ck = try Checkpoint.load(path: path)
        #expect(ck.state.step == 3)
        let resumed = try SegmentationTrainer(config: Self.smallConfig(), images: imgs, batch: 2, crop: 32,
                                              state: Self.segState(steps: 6), resume: ck)
        for s in 3..<6 { seen.append(try resumed.trainStep(s).loss) }
        #expect(seen == reference, "resumed \(seen) vs uninterrupted \(reference)")
    }

    @Test func resumedSSLReproducesUninterruptedLosses() throws {
        let imgs = Self.syntheticSet(count: 5, size: 80, seed: 3)
        var cfg = Self.smallConfig(); cfg.classNames = []
        var st = TrainingState(kind: "ssl")
        st.totalSteps = 4; st.seed = 9; st.optimizer = .sgd; st.weightDecay = 1e-5
        st.schedule = LRSchedule(base: 0.05, warmupSteps: 1, totalSteps: 4)
        let path = NSTemporaryDirectory() + "matssl-resume-ssl-\(getpid()).safetensors"
        defer { unlink(path) }
        let full = try SSLTrainer(config: cfg, images: imgs, batch: 3, crop: 32, state: st)
        let reference = try (0..<4).map { try full.trainStep($0).loss }
        let a = try SSLTrainer(config: cfg, images: imgs, batch: 3, crop: 32, state: st)
        var seen = try (0..<2).map { try a.trainStep($0).loss }
        var mid = st; mid.step = 2
        try a.save(path: path, state: mid)
        let b = try SSLTrainer(config: cfg, images: imgs, batch: 3, crop: 32, state: st, resume: try Checkpoint.load(path: path))
        seen += try (2..<4).map { try b.trainStep($0).loss }
        #expect(seen == reference)
    }
}
