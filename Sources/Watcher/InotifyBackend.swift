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
    static let eventMask = Int32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_MOVED_FROM)

    private static let globalLock = NSLock()
    nonisolated(unsafe) private static var inUse = false

    private let roots: [String]
    private let scanner: TreeScanner
    private let rescanInterval: Double
    private let emit: @Sendable (WatchHint) -> Void
    private let stopSignal = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    /// Directories watched, with the identity they had (only touched on the inotify thread).
    private var watched: [String: DirectoryIdentity] = [:]
    private var seenInWalk: Set<String> = []
    /// A directory moved away (IN_MOVED_FROM), kept until its IN_MOVED_TO partner arrives.
    private var movedFrom: (cookie: UInt32, path: String)?

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
            if mask & UInt32(IN_MOVED_FROM) != 0 {
                movedFrom = (event.pointee.cookie, path)
                return
            }
            if mask & UInt32(IN_MOVED_TO) != 0, let from = movedFrom, from.cookie == event.pointee.cookie {
                // Renamed inside the tree: the kernel keeps the watches; update the library's names
                // (every watch under it), as inotifywait does.
                inotifytools_replace_filename(from.path + "/", path + "/")
            }
            movedFrom = nil
            if mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0, scanner.filter.acceptsDirectory(name: name, relativePath: relative) {
                scanner.walk(root: root, directory: path, onDirectory: watch, onFile: { emit(.file($0)) })
            }
        } else if mask & UInt32(IN_MOVED_FROM) != 0 {
            return
        } else if scanner.filter.acceptsFile(name: name, relativePath: relative) {
            emit(.file(path))
        }
    }

    /// Walks a whole root: (re)adds watches and hints every accepted file; forgets directories
    /// that no longer exist under it.
    private func rescan(root: String, reason: String) {
        var files = 0
        seenInWalk.removeAll(keepingCapacity: true)
        scanner.walk(root: root, directory: root, onDirectory: watch, onFile: { files += 1; emit(.file($0)) })
        let prefix = root.hasSuffix("/") ? root : root + "/"
        for path in watched.keys where (path == root || path.hasPrefix(prefix)) && !seenInWalk.contains(path) {
            watched.removeValue(forKey: path)
        }
        emit(.rescanned(root: root, reason: reason, files: files))
    }

    /// Adds a watch unless this very directory (same path, device and inode) already has one:
    /// re-adding would leak the library's bookkeeping on every rescan. A directory deleted and
    /// recreated under the same name has a new inode and is watched again.
    private func watch(_ directory: String) {
        var st = stat()
        guard lstat(directory, &st) == 0 else { return }
        let identity = DirectoryIdentity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        seenInWalk.insert(directory)
        if watched[directory] == identity { return }
        watched[directory] = identity
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

struct DirectoryIdentity: Equatable {
    var device: UInt64
    var inode: UInt64
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
