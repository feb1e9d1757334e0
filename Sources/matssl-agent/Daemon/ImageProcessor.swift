import Foundation
import Logging
import MatSSLLite
import Watcher

/// What happened to one queued file.
enum ProcessOutcome: Equatable {
    case done
    case failed(String)
    /// Content already handled (touch, or complete outputs of an interrupted run adopted).
    case unchanged
    /// Vanished, or changed since it was admitted (re-hinted to the settle tracker).
    case skipped(String)
    /// Stop requested before work began: back in the queue.
    case abandoned
}

/// Processes one queued file: identity check, content hash, "already done?", decode, segment, write
/// outputs through `ResultWriter` (mask, overlay, phase statistics — the `X.stats.json` is written
/// last and is the completion marker; its `provenance.image_sha256` lets a restart adopt outputs a
/// kill left unjournaled), journal.
/// Runs on the daemon's single worker thread.
struct ImageProcessor {
    var config: AgentConfig
    var segmenter: ImageSegmenter
    var journal: Journal
    var logger: Logger
    /// Sends a path back to the settle tracker (it changed under us).
    var rehint: (String) -> Void
    /// True once SIGTERM asked the daemon to stop.
    var shouldStop: () -> Bool
    /// Called between stages (the watchdog's evidence of progress).
    var progress: () -> Void

    func process(_ item: QueuedFile) -> ProcessOutcome {
        do {
            return try processThrowing(item)
        } catch {
            // Journal or filesystem trouble outside the per-image error path: record and go on.
            logger.error("internal error on '\(item.path)': \(error)")
            try? journal.markSkipped(path: item.path, reason: "internal error: \(error)")
            return .skipped("internal error: \(error)")
        }
    }

    private func processThrowing(_ item: QueuedFile) throws -> ProcessOutcome {
        let path = item.path
        let outputs = OutputPaths(image: path, layout: config.outputLayout)
        guard let signature = FileSignature.of(path: path) else {
            try journal.markSkipped(path: path, reason: "file disappeared before processing")
            return .skipped("vanished")
        }
        if signature != item.signature {
            try journal.markSkipped(path: path, reason: "file changed after it settled; waiting for it to settle again")
            rehint(path)
            return .skipped("changed")
        }
        var timings = StageTimings()
        let model = (segmenter.modelName, segmenter.modelVersion)

        // Content identity.
        let hash: String
        let maxBytes = Int64(config.maxFileMegabytes) << 20
        var clock = Clock()
        if signature.size > maxBytes {
            hash = "unhashed-size-\(signature.size)-mtime-\(signature.mtimeNanos)"
        } else {
            do { hash = try SHA256.hex(fileAt: path) } catch {
                try journal.markSkipped(path: path, reason: "cannot read: \(error)")
                return .skipped("unreadable")
            }
        }
        timings.hashMs = clock.lap()
        progress()

        // Same content as last time (touch, rename back, duplicate event): nothing to do.
        if !item.reprocess, item.previousHash == hash, let outcome = item.previousOutcome {
            let evidence = outcome == .done ? outputs.stats : outputs.error
            if FileManager.default.fileExists(atPath: evidence) {
                try journal.markUnchanged(path: path, signature: signature, hash: hash, outcome: outcome)
                logger.debug("unchanged content, not reprocessed: \(path)")
                return .unchanged
            }
        }
        // Outputs of this content completed before a kill but never journaled: adopt them.
        if !item.reprocess, let stats = try? StatisticsFiles.readJSON(path: outputs.stats), stats.provenance.imageSHA256 == hash,
           stats.provenance.modelName == model.0, stats.provenance.modelVersion == model.1,
           FileManager.default.fileExists(atPath: outputs.mask), !config.writeOverlay || FileManager.default.fileExists(atPath: outputs.overlay) {
            try journal.markRecovered(path: path, signature: signature, hash: hash, modelName: model.0, modelVersion: model.1,
                                      summary: Self.summary(stats))
            logger.info("outputs already complete for this content (interrupted run): \(path)")
            return .unchanged
        }
        if shouldStop() {
            try journal.requeue(path: path)
            return .abandoned
        }
        if signature.size > maxBytes {
            return try fail(item, signature, hash, timings, outputs, "file is \(signature.size >> 20) MiB, larger than limits.max_file_mb = \(config.maxFileMegabytes)")
        }

        // Decode and segment. A streaming engine (the int8 model) reads row bands, so a large TIFF
        // never sits in memory as floats; its decode time is then part of `segment`. Otsu needs the
        // whole image (global histogram) and gets it.
        let limits = PixelSizePolicy.limits(config)
        // The SEM data bar (from the file's metadata, else the configuration) is cut off before
        // the engine and marked "not analysed" in the mask.
        let info: ImageInfo
        let mask: LabelMask
        var whole: GrayImage?
        do {
            if let streaming = segmenter as? StreamingSegmenter {
                let reader = try ImageDecoder.decodeRows(path: path, limits: limits)
                info = reader.info
                timings.decodeMs = clock.lap()
                progress()
                let bar = DataBarPolicy.resolve(info: info, configuredRows: config.dataBarRows).rows
                mask = try DataBarSegmenter.wrap(streaming, rows: bar).segment(reader: reader)
            } else {
                let (image, decodedInfo) = try ImageDecoder.decode(path: path, limits: limits)
                info = decodedInfo
                whole = image
                timings.decodeMs = clock.lap()
                progress()
                let bar = DataBarPolicy.resolve(info: info, configuredRows: config.dataBarRows).rows
                mask = try DataBarSegmenter.wrap(segmenter, rows: bar).segment(image)
            }
            timings.segmentMs = clock.lap()
        } catch {
            if timings.decodeMs == 0 { timings.decodeMs = clock.lap() } else { timings.segmentMs = clock.lap() }
            // A writer that paused longer than the settle time looks like a truncated file: if it
            // changed meanwhile, let it settle again instead of failing it.
            if FileSignature.of(path: path) != signature {
                try journal.markSkipped(path: path, reason: "changed while decoding; waiting for it to settle again")
                rehint(path)
                return .skipped("changed")
            }
            return try fail(item, signature, hash, timings, outputs, error is ImageError ? "\(error)" : "segmentation failed: \(error)")
        }
        progress()

        // Write: mask, overlay (+ thumbnail), objects CSV, then stats (the completion marker), then
        // drop a stale error record. The overlay is rendered in row bands: from the decoded image,
        // or from a second streaming pass over the file.
        let writer = ResultWriter(
            classNames: segmenter.classNames, palette: segmenter.palette,
            statistics: DataBarPolicy.statistics(config.statisticsOptions, info: info),
            writeOverlay: config.writeOverlay, writeObjects: config.objectsCSV, writeThumbnail: config.htmlReport,
            separator: config.csvSeparator)
        let provenance = ImageProvenance(
            image: outputs.baseName, imageSHA256: hash, modelName: model.0, modelVersion: model.1,
            timingsMs: ["hash": timings.hashMs, "decode": timings.decodeMs, "segment": timings.segmentMs],
            testTimeAugmentation: segmenter.testTimeAugmentation, intensityRange: info.intensityRange)
        var second: ImageRowReader?
        let written: ResultWriter.Written
        do {
            written = try writer.write(mask: mask, rows: { y, n in
                if let whole {
                    return GrayImage(width: whole.width, height: n, pixels: Array(whole.pixels[(y * whole.width)..<((y + n) * whole.width)]))
                }
                if second == nil { second = try ImageDecoder.decodeRows(path: path, limits: limits.reusingIntensity(of: info)) }
                return try second!.readRows(n)
            }, pixelSize: PixelSizePolicy.resolve(info: info, config: config), provenance: provenance, outputs: outputs)
        } catch {
            timings.writeMs = clock.lap()
            if FileSignature.of(path: path) != signature {
                outputs.remove(outputs.allImageOutputs)
                try journal.markSkipped(path: path, reason: "changed while writing outputs; waiting for it to settle again")
                rehint(path)
                return .skipped("changed")
            }
            return try fail(item, signature, hash, timings, outputs, "cannot write outputs: \(error)")
        }
        outputs.remove([outputs.error])
        timings.writeMs = clock.lap()
        try journal.markDone(path: path, signature: signature, hash: hash, modelName: model.0, modelVersion: model.1, timings: timings,
                             summary: Self.summary(written.statistics))
        progress()
        if FileSignature.of(path: path) != signature { rehint(path) } // rewritten while we worked
        logger.info("segmented \(path) in \(String(format: "%.0f", timings.totalMs)) ms")
        return .done
    }

    /// Compact journal summary: size, pixel size and phase fractions (the full statistics live in
    /// `X.stats.json`).
    static func summary(_ s: ImageStatistics) -> String {
        struct Summary: Encodable {
            var width: Int, height: Int, pixelSizeUm: Double?, fractions: [String: Double]
            enum CodingKeys: String, CodingKey { case width, height, pixelSizeUm = "pixel_size_um", fractions = "area_fractions" }
        }
        var fractions: [String: Double] = [:]
        for c in s.classes { fractions[c.className] = c.areaFraction }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try? encoder.encode(Summary(width: s.widthPx, height: s.heightPx, pixelSizeUm: s.pixelSizeUm, fractions: fractions))
        return data.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Records a failure: `X.error.json`, stale outputs removed, journal row failed.
    private func fail(_ item: QueuedFile, _ signature: FileSignature, _ hash: String, _ timings: StageTimings, _ outputs: OutputPaths, _ reason: String) throws -> ProcessOutcome {
        let record = ImageErrorRecord(file: outputs.baseName, path: item.path, reason: reason, contentSHA256: hash, size: signature.size,
                                      created: ISO8601DateFormatter().string(from: Date()), agentVersion: MatsslAgent.configuration.version)
        try outputs.createDirectory()
        outputs.remove(outputs.allImageOutputs)
        try AtomicFileWriter.write([UInt8](try record.encoded()), to: outputs.error)
        try journal.markFailed(path: item.path, signature: signature, hash: hash, modelName: segmenter.modelName, modelVersion: segmenter.modelVersion,
                               timings: timings, error: reason)
        logger.warning("failed \(item.path): \(reason)")
        return .failed(reason)
    }
}

/// Millisecond stopwatch.
struct Clock {
    private var last = DispatchTime.now().uptimeNanoseconds
    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e6
    }
}
