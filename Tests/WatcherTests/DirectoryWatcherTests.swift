import Foundation
import Testing
@testable import Watcher

/// Real inotify and real polling on real temporary directories.
@Suite("Directory watcher", .serialized)
struct DirectoryWatcherTests {
    func options(_ root: String, _ backend: WatchBackendChoice) -> WatchOptions {
        WatchOptions(roots: [root], filter: PathFilter(include: ["*.png"], skippedDirectoryNames: ["matssl"]),
                     backend: backend, pollInterval: 0.1, rescanInterval: 0)
    }

    @Test(arguments: [WatchBackendChoice.inotify, .polling])
    func reportsExistingNewNestedAndMovedInFilesButNotOutputs(backend: WatchBackendChoice) throws {
        let root = makeTempDirectory("w-\(backend.rawValue)")
        defer { try? FileManager.default.removeItem(atPath: root) }
        writeFile(root + "/before.png")
        let log = HintLog()
        let watcher = DirectoryWatcher(options: options(root, backend)) { log.append($0) }
        let plan = try watcher.start()
        defer { watcher.stop() }
        #expect(plan.map(\.backend) == [backend])
        // The start-up scan happened before start() returned.
        #expect(log.files.contains(root + "/before.png"))

        writeFile(root + "/new.png")
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        writeFile(root + "/a/b/nested.png")
        writeFile(root + "/.incoming.tmp")
        try FileManager.default.moveItem(atPath: root + "/.incoming.tmp", toPath: root + "/moved.png")
        try FileManager.default.createDirectory(atPath: root + "/matssl", withIntermediateDirectories: true)
        writeFile(root + "/matssl/output.png")
        writeFile(root + "/ignored.txt")
        #expect(log.waitFor([root + "/new.png", root + "/a/b/nested.png", root + "/moved.png"]))
        usleep(300_000)
        let files = log.files
        #expect(!files.contains(root + "/matssl/output.png"))
        #expect(!files.contains(root + "/ignored.txt"))
        #expect(!files.contains(where: { $0.hasSuffix(".tmp") }))
    }

    @Test func aDirectoryMovedInWithFilesIsScannedAtOnce() throws {
        let root = makeTempDirectory("w-mv")
        let outside = makeTempDirectory("w-outside")
        defer { try? FileManager.default.removeItem(atPath: root); try? FileManager.default.removeItem(atPath: outside) }
        try FileManager.default.createDirectory(atPath: outside + "/batch/deep", withIntermediateDirectories: true)
        writeFile(outside + "/batch/one.png")
        writeFile(outside + "/batch/deep/two.png")
        let log = HintLog()
        let watcher = DirectoryWatcher(options: options(root, .inotify)) { log.append($0) }
        try watcher.start()
        defer { watcher.stop() }
        try FileManager.default.moveItem(atPath: outside + "/batch", toPath: root + "/batch")
        #expect(log.waitFor([root + "/batch/one.png", root + "/batch/deep/two.png"]))
        // The moved-in tree is watched too.
        writeFile(root + "/batch/deep/three.png")
        #expect(log.waitFor([root + "/batch/deep/three.png"]))
    }

    @Test func onlyOneInotifyBackendPerProcess() throws {
        let root = makeTempDirectory("w-one")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = DirectoryWatcher(options: options(root, .inotify)) { _ in }
        try first.start()
        let second = DirectoryWatcher(options: options(root, .inotify)) { _ in }
        #expect(throws: WatcherError.inotifyInUse) { try second.start() }
        first.stop()
        // After a stop the library can be used again (SIGHUP restarts the watcher).
        try second.start()
        second.stop()
    }

    @Test func autoPicksInotifyLocallyAndAMissingRootIsAnError() throws {
        let root = makeTempDirectory("w-auto")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let plan = try DirectoryWatcher.plan(options(root, .auto))
        #expect(plan.first?.backend == .inotify)
        #expect(throws: WatcherError.rootMissing(root + "/nope")) { try DirectoryWatcher.plan(options(root + "/nope", .auto)) }
    }

    @Test func pollingReportsARewrittenFileAgain() throws {
        let root = makeTempDirectory("w-poll")
        defer { try? FileManager.default.removeItem(atPath: root) }
        writeFile(root + "/x.png", "one")
        let log = HintLog()
        let watcher = DirectoryWatcher(options: options(root, .polling)) { log.append($0) }
        try watcher.start()
        defer { watcher.stop() }
        usleep(300_000)
        log.clear()
        usleep(300_000)
        #expect(log.files.isEmpty) // unchanged files are not re-reported every pass
        writeFile(root + "/x.png", "second version")
        #expect(log.waitFor([root + "/x.png"]))
    }
}

extension DirectoryWatcherTests {
    func start(_ root: String, _ log: HintLog) throws -> DirectoryWatcher {
        let w = DirectoryWatcher(options: WatchOptions(roots: [root], filter: PathFilter(include: ["*.png"]), backend: .inotify, rescanInterval: 0)) { log.append($0) }
        try w.start()
        return w
    }

    @Test func aFolderRenamedInsideTheTreeReportsItsNewPaths() throws {
        let root = makeTempDirectory("w-rename")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/old/deep", withIntermediateDirectories: true)
        let log = HintLog()
        let watcher = try start(root, log)
        defer { watcher.stop() }
        try FileManager.default.moveItem(atPath: root + "/old", toPath: root + "/new")
        usleep(200_000)
        writeFile(root + "/new/deep/after.png")
        #expect(log.waitFor([root + "/new/deep/after.png"]), "hints: \(log.files)")
        #expect(!log.files.contains(root + "/old/deep/after.png"))
    }

    @Test func aFolderDeletedAndRecreatedIsWatchedAgain() throws {
        let root = makeTempDirectory("w-recreate")
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
        let log = HintLog()
        let watcher = try start(root, log)
        defer { watcher.stop() }
        try FileManager.default.removeItem(atPath: root + "/run")
        usleep(200_000)
        try FileManager.default.createDirectory(atPath: root + "/run", withIntermediateDirectories: true)
        usleep(200_000)
        writeFile(root + "/run/again.png")
        #expect(log.waitFor([root + "/run/again.png"]), "hints: \(log.files)")
    }
}
