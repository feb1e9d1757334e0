import Foundation

/// Watches directory trees by walking them every `interval` seconds and hinting every file that is
/// new or whose signature (device, inode, size, mtime) changed since the last pass. The only way to
/// see other machines' writes on SMB/CIFS/NFS/FUSE client mounts; can also be forced in config.
/// Memory: one signature per file under the roots.
final class PollingBackend: @unchecked Sendable {
    private let roots: [String]
    private let scanner: TreeScanner
    private let interval: Double
    private let emit: @Sendable (WatchHint) -> Void
    private let stopSignal = StopSignal()
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?
    private var known: [String: FileSignature] = [:]

    init(roots: [String], filter: PathFilter, interval: Double, emit: @escaping @Sendable (WatchHint) -> Void) {
        self.roots = roots
        self.scanner = TreeScanner(filter: filter)
        self.interval = max(0.05, interval)
        self.emit = emit
    }

    /// Runs the first pass synchronously, then polls on a dedicated thread.
    func start() {
        pass(reason: "start-up")
        let thread = Thread { [self] in
            while !self.stopSignal.sleep(self.interval) {
                self.pass(reason: "polling pass")
            }
            self.finished.signal()
        }
        thread.name = "poll"
        self.thread = thread
        thread.start()
    }

    func stop() {
        guard thread != nil else { return }
        stopSignal.stop()
        finished.wait()
        thread = nil
    }

    /// One walk of every root; hints changed files; forgets vanished ones.
    private func pass(reason: String) {
        var seen: [String: FileSignature] = [:]
        seen.reserveCapacity(known.count)
        for root in roots {
            var changed = 0
            scanner.walk(root: root, directory: root, onDirectory: { _ in }, onFile: { path in
                guard let signature = FileSignature.of(path: path) else { return }
                seen[path] = signature
                if known[path] != signature { changed += 1; emit(.file(path)) }
            })
            if reason == "start-up" { emit(.rescanned(root: root, reason: reason, files: changed)) }
        }
        known = seen
    }
}
