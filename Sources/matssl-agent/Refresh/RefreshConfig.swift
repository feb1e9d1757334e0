import Foundation
import MatSSLLite
import TOMLKit

/// Settings of `matssl-agent refresh`: the `[refresh]` section of the agent's TOML configuration, plus
/// the keys it shares with the daemon (`state.dir`, `segmentation.model`, `statistics.data_bar_rows`,
/// `image.intensity_range`).
///
/// Only these sections are read here; the daemon's `ConfigLoader` validates the rest of the file.
/// (To merge later: add `"refresh": RefreshConfig.keys` to `ConfigLoader.schema`, otherwise the
/// daemon rejects a file that has a `[refresh]` section.)
struct RefreshConfig: Equatable, Sendable {
    /// Daemon state directory (`state.dir`): journal, `models/`, `refresh/`.
    var stateDirectory = "/var/lib/matssl-agent"
    /// Model name (`segmentation.model` when it is a bare name, else `refresh.model_name`).
    var modelName = "metaldam"
    /// `segmentation.model` as written (a name or a path); used to find the current model before the
    /// first promotion.
    var currentModelValue = ""

    // Pool
    /// Rows of SEM data bar at the bottom of the watched micrographs (`statistics.data_bar_rows`):
    /// left out of the pool images, so the refresh never learns the bar's text and scale.
    var poolDataBarRows = 0
    /// How raw sample values become intensities (`image.intensity_range`, as the daemon reads
    /// them): for the pool, the labeled and held-out images and calibration alike.
    var intensity: IntensityPolicy = .auto
    var decodeLimits: DecodeLimits { DecodeLimits(intensity: intensity) }
    /// At most this many unlabeled images in the pool.
    var poolSize = 200
    /// Copy the pool images into `<state>/refresh/pool/` (otherwise they are read where they are).
    var poolCopy = false

    // Labeled data
    var labeledImages = ""
    var labeledMasks = ""
    /// List file of held-out stems inside the labeled folder (left out of fine-tuning).
    var heldoutList = ""
    /// Or a separate held-out folder (images + masks).
    var heldoutImages = ""
    var heldoutMasks = ""
    /// Rows of data bar at the bottom of the labeled, held-out and calibration images (they may come
    /// from another microscope than the watched folders, so this is set on its own).
    var labeledDataBarRows = 0
    /// Calibration images for quantizing the candidate (default: the labeled training images).
    var calibration = ""
    var calibrationMaxImages = 16
    /// fp32 checkpoint of the current model, needed before the first promotion (afterwards the
    /// checkpoint beside `current` is used).
    var baseCheckpoint = ""

    // Budget and training
    var maxMinutes: Double = 240
    /// "ssl" (SSL + fine-tune) or "adabn" (re-estimate batch-norm statistics only).
    var mode = "ssl"
    /// Share of the time budget the SSL phase may use.
    var sslShare = 0.6
    var sslSteps = 2000
    var sslBatch = 16
    var sslCrop = 160
    var sslLR = 0.01
    var sslTemperature = 0.07
    var finetuneSteps = 1000
    var finetuneBatch = 8
    var finetuneCrop = 256
    var finetuneLR = 3e-4
    /// Encoder learning rate relative to the decoder's during fine-tuning.
    var encoderLRFactor = 0.1
    var adabnBatches = 32
    var threads = 2
    var checkpointMinutes: Double = 5
    var seed: UInt64 = 1

    // Gate
    /// A class IoU may drop by at most this (IoU units: 0.01 = 1 point).
    var maxClassDrop = 0.01
    /// Minimum share of pixels where the candidate's int8 and fp32 outputs agree.
    var minAgreement = 0.97

    // Promotion
    var keepModels = 5
    /// Signal the daemon (SIGHUP) after a promotion.
    var signalDaemon = true

    static let keys: Set<String> = [
        "model_name", "pool_size", "pool_copy", "labeled_images", "labeled_masks", "heldout_list", "heldout_images",
        "heldout_masks", "labeled_data_bar_rows", "calibration", "calibration_max_images", "base_checkpoint", "max_minutes", "mode", "ssl_share",
        "ssl_steps", "ssl_batch", "ssl_crop", "ssl_lr", "ssl_temperature", "finetune_steps", "finetune_batch",
        "finetune_crop", "finetune_lr", "encoder_lr_factor", "adabn_batches", "threads", "checkpoint_minutes", "seed",
        "max_class_drop", "min_agreement", "keep_models", "signal_daemon",
    ]

    var refreshDirectory: String { (stateDirectory as NSString).appendingPathComponent("refresh") }
    var modelsDirectory: String { (stateDirectory as NSString).appendingPathComponent("models/\(modelName)") }
    var journalPath: String { (stateDirectory as NSString).appendingPathComponent("journal.sqlite") }

    static func load(path: String) throws -> RefreshConfig {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw ConfigError(file: path, problems: ["cannot read: \(error.localizedDescription)"])
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> RefreshConfig {
        let table: TOMLTable
        do { table = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw ConfigError(file: file, problems: ["TOML syntax: \(error.debugDescription)"])
        }
        var c = RefreshConfig()
        var problems: [String] = []
        if let dir = table["state"]?.table?["dir"]?.string { c.stateDirectory = dir }
        if let m = table["segmentation"]?.table?["model"]?.string {
            c.currentModelValue = m
            if !m.isEmpty && !m.contains("/") && !m.hasSuffix(".safetensors") { c.modelName = m }
        }
        if let v = table["statistics"]?.table?["data_bar_rows"] {
            // The daemon's loader validates it too; a refresh run alone must not take a bad value.
            guard let rows = v.int, rows >= 0 else {
                throw ConfigError(file: file, problems: ["'statistics.data_bar_rows' must be an integer ≥ 0"])
            }
            c.poolDataBarRows = rows
        }
        if let v = table["image"]?.table?["intensity_range"] {
            guard let text = v.string, let policy = try? IntensityPolicy(parsing: text) else {
                throw ConfigError(file: file, problems: ["'image.intensity_range' must be \"auto\", \"storage\" or \"LOW:HIGH\""])
            }
            c.intensity = policy
        }
        guard let value = table["refresh"] else { return c }
        guard let r = value.table else { throw ConfigError(file: file, problems: ["'refresh' must be a table [refresh]"]) }
        for key in r.keys where !keys.contains(key) {
            problems.append("unknown key 'refresh.\(key)' (known: \(keys.sorted().joined(separator: ", ")))")
        }
        func str(_ k: String, _ set: (String) -> Void) {
            guard let v = r[k] else { return }
            if let s = v.string { set(s) } else { problems.append("'refresh.\(k)' must be a string") }
        }
        func num(_ k: String, min: Double, max: Double = .infinity, _ set: (Double) -> Void) {
            guard let v = r[k] else { return }
            let d = v.double ?? v.int.map(Double.init)
            guard let d, d >= min, d <= max else { problems.append("'refresh.\(k)' must be a number in [\(min), \(max)]"); return }
            set(d)
        }
        func int(_ k: String, min: Int, _ set: (Int) -> Void) {
            guard let v = r[k] else { return }
            guard let i = v.int, i >= min else { problems.append("'refresh.\(k)' must be an integer ≥ \(min)"); return }
            set(i)
        }
        func bool(_ k: String, _ set: (Bool) -> Void) {
            guard let v = r[k] else { return }
            guard let b = v.bool else { problems.append("'refresh.\(k)' must be true or false"); return }
            set(b)
        }
        str("model_name") { c.modelName = $0 }
        int("pool_size", min: 1) { c.poolSize = $0 }
        bool("pool_copy") { c.poolCopy = $0 }
        str("labeled_images") { c.labeledImages = $0 }
        str("labeled_masks") { c.labeledMasks = $0 }
        str("heldout_list") { c.heldoutList = $0 }
        str("heldout_images") { c.heldoutImages = $0 }
        str("heldout_masks") { c.heldoutMasks = $0 }
        int("labeled_data_bar_rows", min: 0) { c.labeledDataBarRows = $0 }
        str("calibration") { c.calibration = $0 }
        int("calibration_max_images", min: 1) { c.calibrationMaxImages = $0 }
        str("base_checkpoint") { c.baseCheckpoint = $0 }
        num("max_minutes", min: 0) { c.maxMinutes = $0 }
        str("mode") { c.mode = $0 }
        num("ssl_share", min: 0, max: 1) { c.sslShare = $0 }
        int("ssl_steps", min: 0) { c.sslSteps = $0 }
        int("ssl_batch", min: 2) { c.sslBatch = $0 }
        int("ssl_crop", min: 32) { c.sslCrop = $0 }
        num("ssl_lr", min: 0) { c.sslLR = $0 }
        num("ssl_temperature", min: 0.001) { c.sslTemperature = $0 }
        int("finetune_steps", min: 0) { c.finetuneSteps = $0 }
        int("finetune_batch", min: 1) { c.finetuneBatch = $0 }
        int("finetune_crop", min: 32) { c.finetuneCrop = $0 }
        num("finetune_lr", min: 0) { c.finetuneLR = $0 }
        num("encoder_lr_factor", min: 0, max: 1) { c.encoderLRFactor = $0 }
        int("adabn_batches", min: 1) { c.adabnBatches = $0 }
        int("threads", min: 1) { c.threads = $0 }
        num("checkpoint_minutes", min: 0) { c.checkpointMinutes = $0 }
        int("seed", min: 0) { c.seed = UInt64($0) }
        num("max_class_drop", min: 0, max: 1) { c.maxClassDrop = $0 }
        num("min_agreement", min: 0, max: 1) { c.minAgreement = $0 }
        int("keep_models", min: 2) { c.keepModels = $0 }
        bool("signal_daemon") { c.signalDaemon = $0 }
        if !["ssl", "adabn"].contains(c.mode) { problems.append("'refresh.mode' must be \"ssl\" or \"adabn\"") }
        if c.sslCrop % 32 != 0 { problems.append("'refresh.ssl_crop' must be a multiple of 32") }
        if c.finetuneCrop % 32 != 0 { problems.append("'refresh.finetune_crop' must be a multiple of 32") }
        if c.labeledImages.isEmpty != c.labeledMasks.isEmpty { problems.append("'refresh.labeled_images' and 'refresh.labeled_masks' go together") }
        if c.heldoutImages.isEmpty != c.heldoutMasks.isEmpty { problems.append("'refresh.heldout_images' and 'refresh.heldout_masks' go together") }
        guard problems.isEmpty else { throw ConfigError(file: file, problems: problems) }
        return c
    }
}
