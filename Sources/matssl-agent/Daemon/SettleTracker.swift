import Foundation
import Watcher

/// Turns watcher hints into stable files. A hinted path is stat'ed every `tick`; once its signature
/// (device, inode, size, mtime) has stayed the same for `settleTime`, `onStable` gets it. Vanished paths
/// are dropped. Paths `isKnown` already answers for (same identity, already done) skip the wait, so a
/// periodic rescan of a large tree costs one stat and one journal lookup per file.
final class SettleTracker: @unchecked Sendable {
    private struct Pending {
        var signature: FileSignature
        var since: Date
    }

    /// Upper bound on paths waiting to settle; beyond it hints are dropped (the next rescan finds them).
    static let capacity = 100_000

    private let condition = NSCondition()
    private var pending: [String: Pending] = [:]
    private var stopped = false
    private var settleTime: Double
    private let isKnown: @Sendable (String, FileSignature) -> Bool
    private let onStable: @Sendable (String, FileSignature) -> Void
    private let onWarning: @Sendable (String) -> Void
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)
    private var droppedSinceWarning = 0
    private var lastTick = Date()
    /// Time of the last completed tick (for the watchdog).
    var lastTickDate: Date { condition.lock(); defer { condition.unlock() }; return lastTick }

    init(settleTime: Double, isKnown: @escaping @Sendable (String, FileSignature) -> Bool,
         onStable: @escaping @Sendable (String, FileSignature) -> Void, onWarning: @escaping @Sendable (String) -> Void) {
        self.settleTime = settleTime
        self.isKnown = isKnown
        self.onStable = onStable
        self.onWarning = onWarning
    }

    var pendingCount: Int { condition.lock(); defer { condition.unlock() }; return pending.count }

    func setSettleTime(_ seconds: Double) { condition.lock(); settleTime = seconds; condition.unlock() }

    /// A watcher hint: start (or restart) watching `path` settle.
    func hint(_ path: String) {
        guard let signature = FileSignature.of(path: path) else { return }
        if isKnown(path, signature) { return }
        condition.lock()
        if pending[path] == nil && pending.count >= Self.capacity {
            droppedSinceWarning += 1
        } else if pending[path]?.signature != signature {
            pending[path] = Pending(signature: signature, since: Date())
        }
        condition.signal()
        condition.unlock()
    }

    func start() {
        let thread = Thread { [self] in
            self.loop()
            self.finished.signal()
        }
        thread.name = "settle"
        self.thread = thread
        thread.start()
    }

    func stop() {
        guard thread != nil else { return }
        condition.lock(); stopped = true; condition.broadcast(); condition.unlock()
        finished.wait()
        thread = nil
    }

    private func loop() {
        while true {
            condition.lock()
            if stopped { condition.unlock(); return }
            let tick = min(0.5, max(0.02, settleTime / 4))
            if pending.isEmpty {
                _ = condition.wait(until: Date(timeIntervalSinceNow: 1))
            } else {
                _ = condition.wait(until: Date(timeIntervalSinceNow: tick))
            }
            if stopped { condition.unlock(); return }
            let snapshot = pending
            let settle = settleTime
            let dropped = droppedSinceWarning
            droppedSinceWarning = 0
            condition.unlock()

            if dropped > 0 { onWarning("settle queue full (\(Self.capacity) paths): \(dropped) hints dropped; the next rescan will find them") }
            let now = Date()
            var stable: [(String, FileSignature)] = []
            var updates: [String: Pending?] = [:]
            for (path, entry) in snapshot {
                guard let current = FileSignature.of(path: path) else { updates[path] = .some(nil); continue }
                if current != entry.signature {
                    updates[path] = Pending(signature: current, since: now)
                } else if now.timeIntervalSince(entry.since) >= settle {
                    stable.append((path, current))
                    updates[path] = .some(nil)
                }
            }
            condition.lock()
            for (path, update) in updates {
                // Only apply when no newer hint replaced the entry meanwhile.
                guard pending[path]?.signature == snapshot[path]?.signature else { continue }
                pending[path] = update
            }
            lastTick = Date()
            condition.unlock()
            for (path, signature) in stable.sorted(by: { $0.0 < $1.0 }) { onStable(path, signature) }
        }
    }
}
