import Foundation

/// Watches one or more directory trees and reports `WatchHint`s on the watcher's own threads.
/// Backend per root: inotify for local filesystems, polling for network/FUSE mounts (detected with
/// `statfs`), or whatever `WatchOptions.backend` forces. `start()` returns once every root is watched
/// and has been scanned once (start-up rescan), so a caller can announce readiness after it.
public final class DirectoryWatcher: @unchecked Sendable {
    public let options: WatchOptions
    private let emit: @Sendable (WatchHint) -> Void
    private var inotify: InotifyBackend?
    private var polling: PollingBackend?

    public init(options: WatchOptions, onHint: @escaping @Sendable (WatchHint) -> Void) {
        self.options = options
        self.emit = onHint
    }

    /// Which backend each root gets, and why.
    public static func plan(_ options: WatchOptions) throws -> [RootReport] {
        try options.roots.map { root in
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                throw WatcherError.rootMissing(root)
            }
            let kind = FilesystemKind.detect(path: root)
            switch options.backend {
            case .polling:
                return RootReport(root: root, backend: .polling, reason: "polling forced by configuration")
            case .inotify:
                let warn = kind?.isNetwork == true ? "; WARNING: \(kind!) — other machines' writes will be missed" : ""
                return RootReport(root: root, backend: .inotify, reason: "inotify forced by configuration\(warn)")
            case .auto:
                if let kind, kind.isNetwork {
                    return RootReport(root: root, backend: .polling, reason: "\(kind): inotify cannot see remote writes, polling every \(options.pollInterval) s")
                }
                return RootReport(root: root, backend: .inotify, reason: "\(kind.map { "\($0)" } ?? "unknown filesystem"): inotify")
            }
        }
    }

    /// Sets up every root and performs the start-up scan; returns the plan that was applied.
    @discardableResult
    public func start() throws -> [RootReport] {
        let plan = try Self.plan(options)
        let inotifyRoots = plan.filter { $0.backend == .inotify }.map(\.root)
        let pollingRoots = plan.filter { $0.backend == .polling }.map(\.root)
        if !inotifyRoots.isEmpty {
            let backend = InotifyBackend(roots: inotifyRoots, filter: options.filter, rescanInterval: options.rescanInterval, emit: emit)
            try backend.start()
            inotify = backend
        }
        if !pollingRoots.isEmpty {
            let backend = PollingBackend(roots: pollingRoots, filter: options.filter, interval: options.pollInterval, emit: emit)
            backend.start()
            polling = backend
        }
        return plan
    }

    /// Stops every backend thread and waits for them (about one second at most).
    public func stop() {
        inotify?.stop()
        polling?.stop()
        inotify = nil
        polling = nil
    }

    deinit { stop() }
}
