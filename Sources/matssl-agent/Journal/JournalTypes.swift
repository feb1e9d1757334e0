import Foundation
import Watcher

/// Where a file stands in the journal.
enum FileStatus: String, CaseIterable, Sendable {
    /// Stable, waiting for the worker (the journal is the durable queue).
    case queued
    /// The worker has it (a restart puts it back to queued).
    case processing
    /// Outputs written.
    case done
    /// Could not be processed; `X.error.json` says why. A new version is tried again.
    case failed
    /// Vanished or changed before it could be processed (a new arrival re-admits it).
    case skipped

    var isTerminal: Bool { self == .done || self == .failed || self == .skipped }
}

/// A queued file as the worker receives it.
struct QueuedFile: Sendable, Equatable {
    var path: String
    var signature: FileSignature
    /// Hash of the content last processed at this path (nil if never processed).
    var previousHash: String?
    /// Outcome (done/failed) of that content.
    var previousOutcome: FileStatus?
    var previousModelVersion: String?
    /// Queued by `matssl-agent reprocess`: recompute even if content and model are unchanged.
    var reprocess: Bool = false
}

/// Wall-clock milliseconds per stage of one image.
struct StageTimings: Sendable, Equatable, Codable {
    var hashMs: Double = 0
    var decodeMs: Double = 0
    var segmentMs: Double = 0
    var writeMs: Double = 0
    var totalMs: Double { hashMs + decodeMs + segmentMs + writeMs }
}

/// One row of the journal as `status` and `results.csv` read it.
struct JournalRow: Sendable, Equatable {
    var path: String
    var folder: String
    var status: FileStatus
    var contentHash: String?
    var modelName: String?
    var modelVersion: String?
    var error: String?
    var finishedAt: Double?
    /// JSON object with the per-image summary (class fractions, size, pixel size) for CSV.
    var summary: String?
    var timings: StageTimings
}
