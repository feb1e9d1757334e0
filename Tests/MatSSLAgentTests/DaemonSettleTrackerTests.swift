import Foundation
import Testing
import Watcher
@testable import matssl_agent

@Suite("Settle tracker")
struct DaemonSettleTrackerTests {
    final class Stable: @unchecked Sendable {
        let lock = NSLock()
        var items: [(String, FileSignature, Date)] = []
        func add(_ p: String, _ s: FileSignature) { lock.lock(); items.append((p, s, Date())); lock.unlock() }
        var paths: [String] { lock.lock(); defer { lock.unlock() }; return items.map(\.0) }
        var all: [(String, FileSignature, Date)] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func aGrowingFileIsTakenOnlyAfterItStopsChanging() throws {
        let dir = DaemonTestSupport.tempDirectory("settle")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stable = Stable()
        let tracker = SettleTracker(settleTime: 0.3, isKnown: { _, _ in false }, onStable: { stable.add($0, $1) }, onWarning: { _ in })
        tracker.start()
        defer { tracker.stop() }
        let path = dir + "/growing.png"
        #expect(FileManager.default.createFile(atPath: path, contents: Data([1])))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        tracker.hint(path)
        var lastWrite = Date()
        for _ in 0..<8 { // 8 × 100 ms of writes, each well inside the settle time
            usleep(100_000)
            handle.write(Data([2, 3]))
            lastWrite = Date()
        }
        try handle.close()
        #expect(DaemonTestSupport.waitUntil(timeout: 3) { !stable.paths.isEmpty })
        let taken = try #require(stable.all.first)
        #expect(taken.2.timeIntervalSince(lastWrite) >= 0.29, "taken \(taken.2.timeIntervalSince(lastWrite)) s after the last write")
        #expect(taken.1.size == 17)
        #expect(stable.paths == [path]) // once
    }

    @Test func vanishedAndKnownFilesAreDropped() throws {
        let dir = DaemonTestSupport.tempDirectory("settle2")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stable = Stable()
        let tracker = SettleTracker(settleTime: 0.1, isKnown: { p, _ in p.hasSuffix("known.png") }, onStable: { stable.add($0, $1) }, onWarning: { _ in })
        tracker.start()
        defer { tracker.stop() }
        #expect(FileManager.default.createFile(atPath: dir + "/known.png", contents: Data([1])))
        #expect(FileManager.default.createFile(atPath: dir + "/gone.png", contents: Data([1])))
        tracker.hint(dir + "/known.png")
        tracker.hint(dir + "/gone.png")
        tracker.hint(dir + "/never-existed.png")
        try FileManager.default.removeItem(atPath: dir + "/gone.png")
        usleep(500_000)
        #expect(stable.paths.isEmpty)
        #expect(tracker.pendingCount == 0)
    }
}
