import Foundation
import GRDB
import Logging
import MatSSLLite
import Testing
import Watcher
@testable import matssl_agent

/// `matssl-agent reprocess`: finished images queued again on request and recomputed, counted as
/// requested rather than as duplicates; journals written before the feature upgrade in place.
@Suite("Reprocessing on request")
struct ReprocessTests {
    let sig = FileSignature(device: 1, inode: 2, size: 3, mtimeNanos: 4)

    @Test func finishedRowsAreQueuedAgainMarkedAndCountedAsRequested() throws {
        let dir = DaemonTestSupport.tempDirectory("reprocess-j")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try Journal(path: dir + "/journal.sqlite")
        for p in ["/d/a.png", "/d/sub/b.png", "/e/c.png", "/d/q.png"] { try j.admit(path: p, signature: sig) }
        for _ in 0..<3 {
            let item = try #require(try j.takeNext())
            try j.markDone(path: item.path, signature: sig, hash: "h-\(item.path)", modelName: "m", modelVersion: "1", timings: StageTimings(), summary: "{}")
        }
        // /d/q.png is still queued: not "finished", not touched.
        #expect(try j.finishedRows(under: []).map(\.path) == ["/d/a.png", "/d/sub/b.png", "/e/c.png"])
        #expect(try j.finishedRows(under: ["/d"]).map(\.path) == ["/d/a.png", "/d/sub/b.png"])
        #expect(try j.finishedRows(under: ["/d/sub/b.png", "/e/"]).map(\.path) == ["/d/sub/b.png", "/e/c.png"])
        #expect(try j.finishedRows(under: ["/d/su"]).isEmpty, "a prefix that is not a path component matches nothing")

        #expect(try j.queueForReprocessing(["/d/a.png", "/d/q.png", "/nowhere.png"]) == 1)
        // The queue keeps its order: q (queued before) comes first, then the reprocessed a.
        let first = try #require(try j.takeNext())
        #expect(first.path == "/d/q.png" && !first.reprocess)
        let again = try #require(try j.takeNext())
        #expect(again.path == "/d/a.png" && again.reprocess && again.previousHash == "h-/d/a.png")
        try j.markDone(path: again.path, signature: sig, hash: "h-/d/a.png", modelName: "m", modelVersion: "1", timings: StageTimings(), summary: "{}")
        #expect(try j.processingCount(path: "/d/a.png", hash: "h-/d/a.png") == 2)
        #expect(try j.duplicateProcessings().isEmpty, "a requested second processing is not a duplicate")
        // The flag is spent: the next admission of a changed file is an ordinary one.
        var touched = sig
        touched.mtimeNanos += 1
        try j.admit(path: "/d/a.png", signature: touched)
        #expect(try #require(try j.takeNext()).reprocess == false)
    }

    /// A journal written by an earlier version (schema v1 only) gains the columns and keeps its rows.
    @Test func aVersionOneJournalIsUpgradedInPlace() throws {
        let dir = DaemonTestSupport.tempDirectory("reprocess-v1")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/journal.sqlite"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        do {
            let db = try DatabaseQueue(path: path)
            try db.write { db in
                try db.execute(sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1');
                    CREATE TABLE files (path TEXT PRIMARY KEY NOT NULL, folder TEXT NOT NULL,
                        device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                        status TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 0, content_hash TEXT, last_outcome TEXT,
                        model_name TEXT, model_version TEXT, queued_at REAL, started_at REAL, finished_at REAL,
                        hash_ms REAL, decode_ms REAL, segment_ms REAL, write_ms REAL, error TEXT, summary TEXT);
                    CREATE TABLE processings (id INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT NOT NULL, content_hash TEXT NOT NULL,
                        outcome TEXT NOT NULL, model_version TEXT, finished_at REAL NOT NULL);
                    CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                    INSERT INTO files (path, folder, device, inode, size, mtime_ns, status, seq, content_hash, last_outcome, model_name, model_version)
                        VALUES ('/d/old.png', '/d', 1, 2, 3, 4, 'done', 1, 'h', 'done', 'm', '0');
                    INSERT INTO processings (path, content_hash, outcome, model_version, finished_at) VALUES ('/d/old.png', 'h', 'done', '0', 1);
                    """)
            }
        }
        let j = try Journal(path: path)
        #expect(try j.finishedRows(under: []).map(\.modelVersion) == ["0"])
        #expect(try j.queueForReprocessing(["/d/old.png"]) == 1)
        let item = try #require(try j.takeNext())
        #expect(item.reprocess && item.previousHash == "h")
        try j.markDone(path: item.path, signature: sig, hash: "h", modelName: "m", modelVersion: "1", timings: StageTimings(), summary: "{}")
        #expect(try j.duplicateProcessings().isEmpty && j.processingCount(path: "/d/old.png") == 2)
    }

    /// The processor recomputes a reprocessed image although content, model and outputs are
    /// unchanged (an ordinary re-admission of the same content is not recomputed).
    @Test func theProcessorRecomputesOnRequestOnly() throws {
        let dir = DaemonTestSupport.tempDirectory("reprocess-p")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = ImageProcessorTests.config(dir)
        let journal = try Journal(path: config.journalPath)
        let image = dir + "/a.png"
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 9), to: image)
        let p = ImageProcessor(config: config, segmenter: OtsuSegmenter(), journal: journal, logger: Logger(label: "test"),
                               rehint: { _ in }, shouldStop: { false }, progress: {})
        let signature = try #require(FileSignature.of(path: image))
        try journal.admit(path: image, signature: signature)
        #expect(p.process(try #require(try journal.takeNext())) == .done)
        let stats = OutputPaths(image: image, layout: config.outputLayout).stats
        let firstWrite = try FileManager.default.attributesOfItem(atPath: stats)[.modificationDate] as? Date
        // Same identity again (a duplicate event): nothing happens.
        #expect(try !journal.admit(path: image, signature: signature))
        usleep(20_000)
        #expect(try journal.queueForReprocessing([image]) == 1)
        #expect(p.process(try #require(try journal.takeNext())) == .done)
        #expect(try journal.processingCount(path: image) == 2 && journal.duplicateProcessings().isEmpty)
        let secondWrite = try FileManager.default.attributesOfItem(atPath: stats)[.modificationDate] as? Date
        #expect(try #require(secondWrite) > #require(firstWrite), "the stats file was written again")
    }

    /// The command as the daemon's user runs it, against a running daemon: images made by another
    /// model by default, every image with --all; the daemon re-segments them within seconds.
    @Test func theCommandQueuesAndTheRunningDaemonRecomputes() throws {
        guard let binary = EndToEndSupport.agentBinary() else {
            Issue.record("matssl-agent binary not found beside the tests; build it with `swift build`")
            return
        }
        let base = DaemonTestSupport.tempDirectory("reprocess-e2e")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/watch", state = base + "/state", config = base + "/agent.toml"
        for d in [root, state] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        try """
            [watch]
            roots = ["\(root)"]
            settle_time = 0.2
            [segmentation]
            engine = "otsu"
            [state]
            dir = "\(state)"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(binary: binary, config: config, logPath: base + "/agent.log")
        #expect(agent.waitReady(), "no READY=1; log:\n\(agent.log)")
        let names = ["a.png", "b.png", "c.png"]
        for (i, n) in names.enumerated() { DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 40 + i), to: root + "/" + n) }
        let journal = try Journal(path: state + "/journal.sqlite", readOnly: true)
        func processed(_ n: String) -> Int { (try? journal.processingCount(path: root + "/" + n)) ?? 0 }
        #expect(DaemonTestSupport.waitUntil(timeout: 20) { names.allSatisfy { processed($0) == 1 } }, "log:\n\(agent.log)")

        // All made by the configured engine: the default selection is empty.
        let none = try cli(binary, ["reprocess", "--config", config])
        #expect(none.contains("queued 0"), "\(none)")
        // Pretend b.png came from an older model: only it is selected by default.
        let rw = try DatabaseQueue(path: state + "/journal.sqlite")
        try rw.write { try $0.execute(sql: "UPDATE files SET model_version = 'older' WHERE path = ?", arguments: [root + "/b.png"]) }
        let dry = try cli(binary, ["reprocess", "--config", config, "--dry-run"])
        #expect(dry.contains(root + "/b.png") && dry.contains("1 image(s) made by another model") && !dry.contains("a.png"), "\(dry)")
        let one = try cli(binary, ["reprocess", "--config", config])
        #expect(one.contains("queued 1") && one.contains("takes them up"), "\(one)")
        #expect(DaemonTestSupport.waitUntil(timeout: 10) { processed("b.png") == 2 }, "log:\n\(agent.log)")
        #expect(processed("a.png") == 1 && processed("c.png") == 1)
        // --all, limited to one path.
        let some = try cli(binary, ["reprocess", "--config", config, "--all", root + "/c.png"])
        #expect(some.contains("queued 1"), "\(some)")
        #expect(DaemonTestSupport.waitUntil(timeout: 10) { processed("c.png") == 2 }, "log:\n\(agent.log)")
        #expect(try journal.duplicateProcessings().isEmpty)
        #expect(try journal.counts()[.done] == names.count)
        agent.kill(SIGTERM)
        #expect(agent.waitExit(timeout: 10) == 0)
    }

    private func cli(_ binary: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
