import Foundation

/// What a watcher reports. Hints, not facts: the consumer must check the file itself.
public enum WatchHint: Sendable, Equatable {
    /// A regular file that may have been created, completed, moved in or changed.
    case file(String)
    /// A full walk of a root finished (start-up, periodic, queue overflow, new polling pass).
    case rescanned(root: String, reason: String, files: Int)
    /// Something the operator should know (a watch could not be added, a directory vanished...).
    case warning(String)
}

/// Which mechanism watches a root.
public enum WatchBackendChoice: String, Sendable, CaseIterable {
    /// inotify on local filesystems, polling on network/FUSE mounts.
    case auto
    case inotify
    case polling
}

/// Everything a `DirectoryWatcher` needs.
public struct WatchOptions: Sendable {
    public var roots: [String]
    public var filter: PathFilter
    public var backend: WatchBackendChoice
    /// Seconds between polling passes (polling backend).
    public var pollInterval: Double
    /// Seconds between full rescans under inotify; 0 disables periodic rescans.
    public var rescanInterval: Double

    public init(roots: [String], filter: PathFilter, backend: WatchBackendChoice = .auto, pollInterval: Double = 2, rescanInterval: Double = 600) {
        self.roots = roots
        self.filter = filter
        self.backend = backend
        self.pollInterval = pollInterval
        self.rescanInterval = rescanInterval
    }
}

/// Which backend serves a root and why (for one clear log line per root).
public struct RootReport: Sendable, Equatable {
    public var root: String
    public var backend: WatchBackendChoice
    public var reason: String
}

/// Errors starting a watcher.
public enum WatcherError: Error, CustomStringConvertible, Equatable {
    case rootMissing(String)
    case inotifyUnavailable(String)
    case inotifyInUse

    public var description: String {
        switch self {
        case .rootMissing(let p): return "watch root '\(p)' does not exist or is not a directory"
        case .inotifyUnavailable(let why): return "inotify unavailable: \(why)"
        case .inotifyInUse: return "libinotifytools keeps global state: only one inotify backend may run per process"
        }
    }
}

/// A stop flag plus an interruptible sleep, shared between a backend's thread and its owner.
final class StopSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var stopped = false

    var isStopped: Bool {
        condition.lock(); defer { condition.unlock() }
        return stopped
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    /// Sleeps up to `seconds`; returns true when stopped.
    func sleep(_ seconds: Double) -> Bool {
        condition.lock(); defer { condition.unlock() }
        let deadline = Date(timeIntervalSinceNow: seconds)
        while !stopped {
            if !condition.wait(until: deadline) { break }
        }
        return stopped
    }
}
