import Foundation
@testable import Watcher

/// A fresh temporary directory (removed by `cleanup`).
func makeTempDirectory(_ tag: String) -> String {
    let path = NSTemporaryDirectory() + "watcher-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

/// Collects hints from the watcher's threads.
final class HintLog: @unchecked Sendable {
    private let lock = NSLock()
    private var hints: [WatchHint] = []

    func append(_ hint: WatchHint) { lock.lock(); hints.append(hint); lock.unlock() }

    var files: Set<String> {
        lock.lock(); defer { lock.unlock() }
        return Set(hints.compactMap { if case .file(let p) = $0 { return p } else { return nil } })
    }

    var all: [WatchHint] { lock.lock(); defer { lock.unlock() }; return hints }

    func clear() { lock.lock(); hints.removeAll(); lock.unlock() }

    /// Waits until `paths` have all been hinted (or `timeout` passes); returns whether they were.
    func waitFor(_ paths: Set<String>, timeout: Double = 5) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if paths.isSubset(of: files) { return true }
            usleep(20_000)
        }
        return paths.isSubset(of: files)
    }
}

func writeFile(_ path: String, _ text: String = "data") {
    let ok = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    precondition(ok, "cannot write test file \(path)")
}
