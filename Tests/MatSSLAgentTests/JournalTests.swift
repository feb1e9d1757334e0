import Foundation
import Testing
import Watcher
@testable import matssl_agent

@Suite("Journal")
struct JournalTests {
    let dir = DaemonTestSupport.tempDirectory("journal")
    func open() throws -> Journal { try Journal(path: dir + "/state/journal.sqlite") }
    let sig = FileSignature(device: 1, inode: 2, size: 3, mtimeNanos: 4)

    @Test func admitTakeAndFinishOnce() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try open()
        #expect(try j.admit(path: "/d/a.png", signature: sig))
        #expect(try !j.admit(path: "/d/a.png", signature: sig)) // already queued
        let item = try #require(try j.takeNext())
        #expect(item.path == "/d/a.png" && item.signature == sig && item.previousHash == nil)
        #expect(try j.takeNext() == nil)
        try j.markDone(path: item.path, signature: sig, hash: "h1", modelName: "m", modelVersion: "1", timings: StageTimings(), summary: "{}")
        #expect(try !j.admit(path: "/d/a.png", signature: sig)) // same identity, done
        #expect(j.isKnown(path: "/d/a.png", signature: sig))
        #expect(try j.counts()[.done] == 1)
        #expect(try j.processingCount(path: "/d/a.png") == 1)
        #expect(try j.duplicateProcessings().isEmpty)
    }

    @Test func aChangedIdentityIsQueuedAgainWithThePreviousHash() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try open()
        try j.admit(path: "/d/a.png", signature: sig)
        _ = try j.takeNext()
        try j.markDone(path: "/d/a.png", signature: sig, hash: "h1", modelName: "m", modelVersion: "1", timings: StageTimings(), summary: "{}")
        var touched = sig
        touched.mtimeNanos += 1
        #expect(!j.isKnown(path: "/d/a.png", signature: touched))
        #expect(try j.admit(path: "/d/a.png", signature: touched))
        let again = try #require(try j.takeNext())
        #expect(again.previousHash == "h1" && again.previousOutcome == .done && again.signature == touched)
        try j.markUnchanged(path: "/d/a.png", signature: touched, hash: "h1", outcome: .done)
        #expect(try j.row(path: "/d/a.png")?.status == .done)
        #expect(try j.processingCount(path: "/d/a.png") == 1)
    }

    @Test func anInterruptedFileIsRequeuedOnRestartAndTheBacklogSurvives() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let j = try open()
            for i in 0..<5 { try j.admit(path: "/d/\(i).png", signature: sig) }
            #expect(try j.takeNext()?.path == "/d/0.png")
        }
        let reopened = try open()
        #expect(try reopened.requeueInterrupted() == ["/d/0.png"])
        #expect(try reopened.queueLength() == 5)
        #expect(try reopened.takeNext()?.path == "/d/0.png") // order kept
    }

    @Test func aFileReadmittedWhileProcessingStaysQueued() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try open()
        try j.admit(path: "/d/a.png", signature: sig)
        _ = try j.takeNext()
        var newer = sig
        newer.size = 99
        #expect(try j.admit(path: "/d/a.png", signature: newer))
        try j.markDone(path: "/d/a.png", signature: sig, hash: "old", modelName: "m", modelVersion: "1", timings: StageTimings(), summary: "{}")
        let row = try #require(try j.row(path: "/d/a.png"))
        #expect(row.status == .queued)
        #expect(try j.takeNext()?.signature == newer)
    }

    @Test func failuresAreListedForStatus() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try open()
        try j.admit(path: "/d/bad.png", signature: sig)
        _ = try j.takeNext()
        try j.markFailed(path: "/d/bad.png", signature: sig, hash: "h", modelName: "m", modelVersion: "1", timings: StageTimings(), error: "truncated")
        try j.setMeta(["model_name": "otsu-baseline", "model_version": "1", "pid": "0"])
        let text = try StatusReport.render(journal: try Journal(path: j.path, readOnly: true), errors: 5)
        #expect(text.contains("failed 1"))
        #expect(text.contains("/d/bad.png: truncated"))
        #expect(text.contains("otsu-baseline"))
        #expect(!text.contains("results by model"), "one model: nothing to say")
    }

    @Test func statusCountsResultsPerModelWhenTheyDiffer() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let j = try open()
        for (p, v) in [("/d/a.png", "1"), ("/d/b.png", "2"), ("/d/c.png", "2")] {
            try j.admit(path: p, signature: sig)
            _ = try j.takeNext()
            try j.markDone(path: p, signature: sig, hash: p, modelName: "m", modelVersion: v, timings: StageTimings(), summary: "{}")
        }
        #expect(try j.doneByModel().map { "\($0.model)=\($0.count)" } == ["m 2=2", "m 1=1"])
        let text = try StatusReport.render(journal: try Journal(path: j.path, readOnly: true), errors: 5)
        #expect(text.contains("results by model: m 2 (2), m 1 (1)") && text.contains("reprocess"), "\(text)")
    }
}

@Suite("SHA-256")
struct SHA256Tests {
    @Test func knownVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test func streamingMatchesOneShotAcrossBlockBoundaries() throws {
        let bytes = (0..<200_003).map { UInt8(truncatingIfNeeded: $0 &* 2654435761 >> 13) }
        var h = SHA256()
        var i = 0
        for chunk in [1, 63, 64, 65, 1000, 7] + [Int](repeating: 4096, count: 60) where i < bytes.count {
            let end = min(bytes.count, i + chunk)
            bytes[i..<end].withUnsafeBytes { h.update($0) }
            i = end
        }
        bytes[i...].withUnsafeBytes { h.update($0) }
        #expect(h.finalize() == SHA256.hex(bytes))
        let dir = DaemonTestSupport.tempDirectory("sha")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(FileManager.default.createFile(atPath: dir + "/f", contents: Data(bytes)))
        #expect(try SHA256.hex(fileAt: dir + "/f") == SHA256.hex(bytes))
        // Cross-check with the system tool where present.
        if FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            p.arguments = [dir + "/f"]
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            p.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(out.hasPrefix(SHA256.hex(bytes)))
        }
    }
}
