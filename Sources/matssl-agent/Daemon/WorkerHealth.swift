import Foundation

/// Heartbeats the watchdog decides on: the worker beats at every stage and every idle wake-up; a
/// worker stuck inside one stage longer than WatchdogSec stops the pings and systemd restarts us.
final class WorkerHealth: @unchecked Sendable {
    private let lock = NSLock()
    private var lastBeat = Date()
    private var busy = false
    private(set) var processed = 0
    private(set) var failed = 0
    private(set) var unchanged = 0

    func beat(busy: Bool? = nil) {
        lock.lock()
        lastBeat = Date()
        if let busy { self.busy = busy }
        lock.unlock()
    }

    func count(_ outcome: ProcessOutcome) {
        lock.lock()
        switch outcome {
        case .done: processed += 1
        case .failed: failed += 1
        case .unchanged: unchanged += 1
        case .skipped, .abandoned: break
        }
        lock.unlock()
    }

    /// Seconds since the last beat, and whether the worker is inside an image.
    var snapshot: (age: Double, busy: Bool, processed: Int, failed: Int) {
        lock.lock(); defer { lock.unlock() }
        return (Date().timeIntervalSince(lastBeat), busy, processed, failed)
    }
}

/// When to send WATCHDOG=1: only when the worker has shown life within the watchdog interval (it
/// beats at every stage of an image and at least once a second while idle) and the settle tracker is
/// ticking. A worker stuck in one image, or a dead tracker, withholds the ping: systemd restarts us.
enum WatchdogPolicy {
    static func shouldPing(workerAge: Double, trackerAge: Double, interval: Double) -> Bool {
        workerAge < interval && trackerAge < max(interval, 3)
    }
}
