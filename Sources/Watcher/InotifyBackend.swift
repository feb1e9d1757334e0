import CInotifyTools
import Foundation
import Glibc

/// Watches local directory trees with libinotifytools on one dedicated thread (the library keeps
/// global state and blocks in `inotifytools_next_event`). Every accepted directory gets its own watch
/// (so the agent's output folders are never watched); a new subdirectory is watched and then scanned
/// at once, so files created before its watch existed are not missed. IN_Q_OVERFLOW, start-up and a
/// periodic timer trigger a full rescan.
final class InotifyBackend: @unchecked Sendable {
    /// The events that say "a file may be complete": written and closed, moved in, created (hard links
    /// and directories).
    static let eventMask = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE)

    private static let globalLock = NSLock()
    nonisolated(unsafe) private static var inUse = false

    private let roots: [String]
    private let scanner: TreeScanner
    private let rescanInterval: Double
    private let emit: @Sendable (WatchHint) -> Void
    private let stopSignal = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    init(roots: [String], filter: PathFilter, rescanInterval: Double, emit: @escaping @Sendable (WatchHint) -> Void) {
        self.roots = roots
        self.scanner = TreeScanner(filter: filter)
        self.rescanInterval = rescanInterval
        self.emit = emit
    }

    /// Starts the thread and returns once every root is watched and scanned once.
    func start() throws {
        Self.globalLock.lock()
        if Self.inUse { Self.globalLock.unlock(); throw WatcherError.inotifyInUse }
        Self.inUse = true
        Self.globalLock.unlock()

        let ready = DispatchSemaphore(value: 0)
        let failure = LockedBox<WatcherError?>(nil)
        let thread = Thread { [self] in
            self.threadMain(ready: ready, failure: failure)
            Self.globalLock.lock(); Self.inUse = false; Self.globalLock.unlock()
            self.finished.signal()
        }
        thread.name = "inotify"
        self.thread = thread
        thread.start()
        ready.wait()
        if let error = failure.value {
            finished.wait()
            self.thread = nil
            throw error
        }
    }

    /// Stops the thread (within about one second) and waits for it.
    func stop() {
        guard thread != nil else { return }
        stopSignal.stop()
        finished.wait()
        thread = nil
    }

    private func threadMain(ready: DispatchSemaphore, failure: LockedBox<WatcherError?>) {
        guard inotifytools_initialize() != 0 else {
            failure.value = .inotifyUnavailable(String(cString: strerror(inotifytools_error())))
            ready.signal()
            return
        }
        defer { inotifytools_cleanup() }
        for root in roots { rescan(root: root, reason: "start-up") }
        ready.signal()

        var nextRescan = Date(timeIntervalSinceNow: rescanInterval)
        while !stopSignal.isStopped {
            if let event = inotifytools_next_event(1) {
                handle(event)
            }
            if rescanInterval > 0, Date() >= nextRescan {
                for root in roots { rescan(root: root, reason: "periodic") }
                nextRescan = Date(timeIntervalSinceNow: rescanInterval)
            }
        }
    }

    private func handle(_ event: UnsafeMutablePointer<inotify_event>) {
        let mask = event.pointee.mask
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            emit(.warning("inotify queue overflowed: rescanning every root"))
            for root in roots { rescan(root: root, reason: "inotify queue overflow") }
            return
        }
        var namePointer: UnsafePointer<CChar>?
        var dirLength = 0
        guard event.pointee.len > 0,
              let dirPointer = inotifytools_filename_from_event(event, &namePointer, &dirLength),
              let namePointer else { return }
        let name = String(cString: namePointer)
        let dirBytes = UnsafeRawBufferPointer(start: dirPointer, count: dirLength)
        let path = TreeScanner.join(String(decoding: dirBytes, as: UTF8.self), name)
        guard let root = rootOf(path) else { return }
        let relative = TreeScanner.relative(path, to: root)
        if mask & UInt32(IN_ISDIR) != 0 {
            if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, scanner.filter.acceptsDirectory(name: name, relativePath: relative) {
                var files = 0
                scanner.walk(root: root, directory: path, onDirectory: watch, onFile: { files += 1; emit(.file($0)) })
            }
        } else if scanner.filter.acceptsFile(name: name, relativePath: relative) {
            emit(.file(path))
        }
    }

    /// Walks a whole root: (re)adds watches and hints every accepted file.
    private func rescan(root: String, reason: String) {
        var files = 0
        scanner.walk(root: root, directory: root, onDirectory: watch, onFile: { files += 1; emit(.file($0)) })
        emit(.rescanned(root: root, reason: reason, files: files))
    }

    /// Adds a watch (idempotent: the kernel returns the same descriptor for a watched inode).
    private func watch(_ directory: String) {
        if inotifytools_watch_file(directory, Self.eventMask) == 0 {
            let err = inotifytools_error()
            let hint = err == ENOSPC ? " (raise fs.inotify.max_user_watches or set backend = \"polling\")" : ""
            emit(.warning("cannot watch '\(directory)': \(String(cString: strerror(err)))\(hint)"))
        }
    }

    private func rootOf(_ path: String) -> String? {
        roots.filter { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }.max { $0.count < $1.count }
    }
}

/// A value behind a lock, for handing results between threads.
final class LockedBox<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: T
    init(_ value: T) { stored = value }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return stored }
        set { lock.lock(); stored = newValue; lock.unlock() }
    }
}
