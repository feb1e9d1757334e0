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
/// outputs (mask, overlay, stats last — the stats file is the completion marker), journal.
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
        let outputs = OutputPaths(image: path, folderName: config.outputFolder)
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
        if item.previousHash == hash, let outcome = item.previousOutcome {
            let evidence = outcome == .done ? outputs.stats : outputs.error
            if FileManager.default.fileExists(atPath: evidence) {
                try journal.markUnchanged(path: path, signature: signature, hash: hash, outcome: outcome)
                logger.debug("unchanged content, not reprocessed: \(path)")
                return .unchanged
            }
        }
        // Outputs of this content completed before a kill but never journaled: adopt them.
        if let stats = ImageStats.recordedHash(at: outputs.stats), stats.contentSHA256 == hash, stats.modelVersion == model.1, stats.modelName == model.0,
           FileManager.default.fileExists(atPath: outputs.mask), !config.writeOverlay || FileManager.default.fileExists(atPath: outputs.overlay) {
            try journal.markRecovered(path: path, signature: signature, hash: hash, modelName: model.0, modelVersion: model.1, summary: stats.summaryJSON())
            logger.info("outputs already complete for this content (interrupted run): \(path)")
            return .unchanged
        }
        if shouldStop() {
            try journal.requeue(path: path)
            return .abandoned
        }

        // Decode.
        let image: GrayImage
        let info: ImageInfo
        if signature.size > maxBytes {
            return try fail(item, signature, hash, timings, outputs, "file is \(signature.size >> 20) MiB, larger than limits.max_file_mb = \(config.maxFileMegabytes)")
        }
        do {
            (image, info) = try ImageDecoder.decode(path: path, limits: PixelSizePolicy.limits(config))
        } catch {
            timings.decodeMs = clock.lap()
            // A writer that paused longer than the settle time looks like a truncated file: if it
            // changed meanwhile, let it settle again instead of failing it.
            if FileSignature.of(path: path) != signature {
                try journal.markSkipped(path: path, reason: "changed while decoding; waiting for it to settle again")
                rehint(path)
                return .skipped("changed")
            }
            return try fail(item, signature, hash, timings, outputs, "\(error)")
        }
        timings.decodeMs = clock.lap()
        progress()

        // Segment.
        let mask: LabelMask
        do { mask = try segmenter.segment(image) } catch {
            timings.segmentMs = clock.lap()
            return try fail(item, signature, hash, timings, outputs, "segmentation failed: \(error)")
        }
        timings.segmentMs = clock.lap()
        progress()

        // Write: mask, overlay, then stats (the completion marker), then drop a stale error record.
        let (pixelSize, source) = PixelSizePolicy.resolve(info: info, config: config)
        try outputs.createDirectory()
        try MaskCodec.writePalettePNG(mask, palette: segmenter.palette, to: outputs.mask) // atomic: temp, fsync, rename
        if config.writeOverlay {
            let overlay = OverlayRenderer.render(image: image, mask: mask, palette: segmenter.palette)
            try PNGWriter.writeRGB(overlay, to: outputs.overlay)
        } else {
            outputs.remove([outputs.overlay])
        }
        timings.writeMs = clock.lap()
        let stats = ImageStats.make(file: outputs.baseName, hash: hash, mask: mask, classNames: segmenter.classNames, pixelSizeUm: pixelSize,
                                    pixelSizeSource: source, modelName: model.0, modelVersion: model.1, timings: timings)
        try AtomicFileWriter.write([UInt8](try stats.encoded()), to: outputs.stats)
        outputs.remove([outputs.error])
        timings.writeMs += clock.lap()
        try journal.markDone(path: path, signature: signature, hash: hash, modelName: model.0, modelVersion: model.1, timings: timings, summary: stats.summaryJSON())
        progress()
        if FileSignature.of(path: path) != signature { rehint(path) } // rewritten while we worked
        logger.info("segmented \(path) in \(String(format: "%.0f", timings.totalMs)) ms")
        return .done
    }

    /// Records a failure: `X.error.json`, stale outputs removed, journal row failed.
    private func fail(_ item: QueuedFile, _ signature: FileSignature, _ hash: String, _ timings: StageTimings, _ outputs: OutputPaths, _ reason: String) throws -> ProcessOutcome {
        let record = ImageErrorRecord(file: outputs.baseName, path: item.path, reason: reason, contentSHA256: hash, size: signature.size,
                                      created: ISO8601DateFormatter().string(from: Date()), agentVersion: MatsslAgent.configuration.version)
        try outputs.createDirectory()
        outputs.remove([outputs.stats, outputs.mask, outputs.overlay])
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
