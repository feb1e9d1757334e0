import Foundation
import MatSSLLite
import Watcher
@testable import matssl_agent

/// A tiny two-class world for refresh tests: bright discs on a dark background (mask = disc), a
/// small base model trained on them once per test process, a labeled set with a held-out list, a
/// pool of processed images recorded in a daemon journal, and a config file.
enum RefreshFixtures {
    static let classes = ["background", "particle"]

    struct BaseModel: Sendable {
        var int8: String
        var fp32: String
        var version: String
    }

    static func mask(for img: GrayImage) -> LabelMask {
        LabelMask(width: img.width, height: img.height, labels: img.pixels.map { $0 > 0.5 ? 1 : 0 })
    }

    static func image(seed: Int) -> GrayImage { DaemonTestSupport.testImage(width: 64, height: 64, seed: seed) }

    /// Writes labeled images (seeds) and masks; `invert` swaps the labels (a corrupted set).
    static func writeLabeled(images: String, masks: String, seeds: [Int], invert: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: masks, withIntermediateDirectories: true)
        for s in seeds {
            let img = image(seed: s)
            try PNGWriter.writeGray8(img, to: "\(images)/img\(s).png")
            var m = mask(for: img)
            if invert { m.labels = m.labels.map { 1 - $0 } }
            try MaskCodec.writePalettePNG(m, palette: [RGB8(r: 0, g: 0, b: 0), RGB8(r: 255, g: 0, b: 0)], to: "\(masks)/img\(s).png")
        }
    }

    static let trainSeeds = Array(0..<8), heldoutSeeds = [40, 41, 42]

    static func tinyConfig() -> ModelConfig {
        var c = ModelConfig()
        c.widths = [8, 8, 8, 8]; c.depths = [1, 1, 1, 1]; c.stemKernel = 3
        c.decoderWidths = [8, 8, 8, 8, 8]; c.projectorHidden = 16; c.projectorDim = 8
        c.classNames = classes; c.classColors = ModelConfig.defaultColors(2)
        c.mean = 0.4; c.std = 0.3
        return c
    }

    /// The base model (trained once per process, a few seconds in a debug build).
    static let base: BaseModel = {
        do { return try makeBase() } catch { fatalError("cannot build the refresh test base model: \(error)") }
    }()

    private static func makeBase() throws -> BaseModel {
        let dir = DaemonTestSupport.tempDirectory("refresh-base")
        try writeLabeled(images: dir + "/images", masks: dir + "/masks", seeds: trainSeeds)
        let train = try DatasetLoader.loadLabeled(imageDir: dir + "/images", maskDir: dir + "/masks") { _ in }
        var state = TrainingState(kind: "segmentation")
        state.totalSteps = 40; state.optimizer = .adamw; state.weightDecay = 1e-4
        state.schedule = LRSchedule(base: 5e-3, warmupSteps: 4, totalSteps: 40, minFactor: 0.05)
        let trainer = try SegmentationTrainer(config: tinyConfig(), images: train, batch: 4, crop: 64, state: state)
        for s in 0..<state.totalSteps { _ = try trainer.trainStep(s); trainer.state.step = s + 1 }
        let fp32 = dir + "/base.fp32.safetensors"
        try trainer.save(path: fp32, state: trainer.state)
        let net = try Checkpoint.loadSegmentationNet(path: fp32)
        let version = "base-1"
        let q = try quantize(net, version: version, calibration: train)
        let int8 = dir + "/base.int8.safetensors"
        try QuantizedModelFile.save(q, to: int8)
        return BaseModel(int8: int8, fp32: fp32, version: version)
    }

    static func quantize(_ net: SegmentationNet, version: String, calibration: [TrainImage],
                         logitAdjustment: LogitAdjustment? = nil) throws -> QuantizedModel {
        var options = Quantizer.Options()
        options.name = "tiny"; options.version = version
        let tensors = calibration.map { img in
            QuantizeCommand.paddedTensor(GrayImage(width: img.width, height: img.height, pixels: img.pixels.map { Float($0) / 255 }), config: net.config)
        }
        let prov = QuantizationProvenance(method: .percentile, percentile: 99.99, calibrationImages: [], sourceCheckpoint: "base",
                                          sourceCheckpointSHA256: "", created: "", logitAdjustment: logitAdjustment)
        return try Quantizer.quantize(net: net, calibration: tensors, options: options, provenance: prov)
    }
}

/// One refresh test's folders: state (journal + model store), labeled set, pool, config.
struct RefreshWorld {
    let root: String
    var state: String { root + "/state" }
    var config: String { root + "/agent.toml" }
    var store: ModelStore { ModelStore(directory: state + "/models/tiny") }

    /// - Parameters: `invertLabels` corrupts the training masks (held-out masks stay correct);
    ///   `baseLogitAdjustment` installs the base model quantized with that class-weight correction.
    init(invertLabels: Bool = false, poolCount: Int = 6, refresh: String = "", installBase: Bool = true,
         baseLogitAdjustment: LogitAdjustment? = nil) throws {
        root = DaemonTestSupport.tempDirectory("refresh")
        let base = RefreshFixtures.base
        try RefreshFixtures.writeLabeled(images: root + "/labeled/images", masks: root + "/labeled/masks", seeds: RefreshFixtures.trainSeeds,
                                         invert: invertLabels)
        try RefreshFixtures.writeLabeled(images: root + "/heldout/images", masks: root + "/heldout/masks", seeds: RefreshFixtures.heldoutSeeds)
        // Pool: images the daemon "processed", in two folders, recorded as done in its journal.
        let journal = try Journal(path: state + "/journal.sqlite")
        for i in 0..<poolCount {
            let folder = root + "/watched/\(i % 2 == 0 ? "a" : "b")"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = "\(folder)/p\(i).png"
            try PNGWriter.writeGray8(DaemonTestSupport.testImage(width: 96, height: 80, seed: 200 + i), to: path)
            let sig = FileSignature(device: 1, inode: UInt64(i + 1), size: 100, mtimeNanos: Int64(i))
            try journal.admit(path: path, signature: sig)
            _ = try journal.takeNext()
            try journal.markDone(path: path, signature: sig, hash: "h\(i)", modelName: "tiny", modelVersion: base.version,
                                 timings: StageTimings(), summary: "")
        }
        if installBase {
            var int8 = base.int8
            if let adj = baseLogitAdjustment {
                let net = try Checkpoint.loadSegmentationNet(path: base.fp32)
                try adj.apply(to: net)
                let train = try DatasetLoader.loadLabeled(imageDir: root + "/labeled/images", maskDir: root + "/labeled/masks") { _ in }
                int8 = root + "/base-adjusted.int8.safetensors"
                try QuantizedModelFile.save(try RefreshFixtures.quantize(net, version: base.version, calibration: train, logitAdjustment: adj), to: int8)
            }
            _ = try store.promote(version: base.version, int8: int8, fp32: base.fp32, report: nil, keep: 3)
        }
        let text = """
            [segmentation]
            engine = "model"
            model = "tiny"

            [state]
            dir = "\(state)"

            [refresh]
            labeled_images = "\(root)/labeled/images"
            labeled_masks = "\(root)/labeled/masks"
            heldout_images = "\(root)/heldout/images"
            heldout_masks = "\(root)/heldout/masks"
            pool_size = 4
            max_minutes = 20
            ssl_steps = 3
            ssl_batch = 3
            ssl_crop = 64
            ssl_lr = 0.01
            finetune_steps = 12
            finetune_batch = 4
            finetune_crop = 64
            finetune_lr = 0.002
            adabn_batches = 2
            threads = 1
            min_agreement = 0.9
            keep_models = 3
            signal_daemon = false
            \(refresh)
            """
        try text.write(toFile: config, atomically: true, encoding: .utf8)
    }

    func runner(_ edit: (inout RefreshConfig) -> Void = { _ in }) throws -> RefreshRunner {
        var c = try RefreshConfig.load(path: config)
        edit(&c)
        return RefreshRunner(config: c)
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
