import Foundation
import Glibc
import MatSSLLite
import Testing
@testable import matssl_agent

@Suite("model store: promotion, rollback, daemon signal", .serialized)
struct ModelsStoreTests {
    let base = RefreshFixtures.base

    func store() -> (ModelStore, String) {
        let dir = DaemonTestSupport.tempDirectory("models")
        return (ModelStore(directory: dir + "/models/tiny"), dir)
    }

    @Test func promotionKeepsTheLastNAndNeverTheCurrentOne() throws {
        let (s, dir) = store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for v in ["v1", "v2", "v3", "v4"] {
            _ = try s.promote(version: v, int8: base.int8, fp32: base.fp32, report: Data("{}".utf8), keep: 3)
            #expect(s.currentVersion() == v)
        }
        #expect(s.versions() == ["v2", "v3", "v4"])
        #expect(!FileManager.default.fileExists(atPath: s.fp32Path("v1")) && !FileManager.default.fileExists(atPath: s.reportPath("v1")))
        // The link is relative and resolves to a loadable model.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: s.currentLink) == "v4.int8.safetensors")
        #expect(try QuantizedModelFile.load(path: s.currentLink).info.version == base.version)
        // After a rollback to v2, pruning keeps v2 even though it is the oldest.
        #expect(try s.rollback(to: "v2") == "v2")
        _ = try s.promote(version: "v5", int8: base.int8, fp32: base.fp32, report: nil, keep: 2)
        #expect(s.currentVersion() == "v5" && s.versions() == ["v4", "v5"])
        #expect(throws: ModelStoreError.self) { try s.add(version: "v5", int8: base.int8, fp32: nil) }
        #expect(throws: ModelStoreError.self) { try s.add(version: "../evil", int8: base.int8, fp32: nil) }
    }

    @Test func rollbackGoesToThePreviousVersionAndSaysWhenThereIsNone() throws {
        let (s, dir) = store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ModelStoreError.self) { try s.rollback() }
        for v in ["a", "b", "c"] { _ = try s.promote(version: v, int8: base.int8, fp32: base.fp32, report: nil, keep: 5) }
        #expect(try s.rollback() == "b")
        #expect(try s.rollback() == "a")
        #expect { try s.rollback() } throws: { "\($0)".contains("oldest") }
        #expect(try s.rollback(to: "c") == "c")
        #expect { try s.rollback(to: "zzz") } throws: { "\($0)".contains("no version zzz") }
    }

    @Test func theDaemonFindsTheCurrentModelThroughModelLocator() throws {
        let (s, dir) = store()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try s.promote(version: "v1", int8: base.int8, fp32: base.fp32, report: nil, keep: 3)
        guard ProcessInfo.processInfo.environment["MATSSL_MODEL_DIR"] == nil else {
            print("SKIP theDaemonFindsTheCurrentModelThroughModelLocator: MATSSL_MODEL_DIR is set"); return
        }
        #expect(try ModelLocator.resolve("tiny", stateDirectory: dir) == s.currentLink)
    }

    /// SIGKILL at random moments of repeated promotions and rollbacks (separate processes running the
    /// built binary): `current` must always resolve to a complete, loadable model.
    @Test func aKillInTheMiddleOfPromotionOrRollbackLeavesAValidCurrent() throws {
        guard let binary = EndToEndSupport.agentBinary() else {
            Issue.record("built matssl-agent binary not found"); return
        }
        let dir = DaemonTestSupport.tempDirectory("models-kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = ModelStore(directory: dir + "/models/tiny")
        _ = try s.promote(version: "v0", int8: base.int8, fp32: base.fp32, report: nil, keep: 4)
        var rng = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<6 {
            let script = """
                i=0; while true; do i=$((i+1))
                "\(binary)" models install --state-dir "\(dir)" --name tiny --int8 "\(base.int8)" --fp32 "\(base.fp32)" --version r\(round)-$i --keep 4 --no-signal >/dev/null 2>&1
                "\(binary)" models rollback --state-dir "\(dir)" --name tiny --no-signal >/dev/null 2>&1
                done
                """
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/bash")
            p.arguments = ["-c", script]
            try p.run()
            usleep(UInt32.random(in: 300_000...1_200_000, using: &rng))
            // Kill the loop and whatever agent it is running (its whole process group is not ours: find children).
            let children = (try? String(contentsOfFile: "/proc/\(p.processIdentifier)/task/\(p.processIdentifier)/children", encoding: .utf8)) ?? ""
            for c in children.split(separator: " ").compactMap({ Int32($0) }) { kill(c, SIGKILL) }
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            kills += 1
            let v = try #require(s.currentVersion(), "current missing after kill \(kills)")
            #expect(s.versions().contains(v))
            #expect(try QuantizedModelFile.load(path: s.currentLink).info.version == base.version)
        }
        // Leftover temp names are cleaned by the next operation.
        _ = try s.promote(version: "final", int8: base.int8, fp32: base.fp32, report: nil, keep: 4)
        let names = try FileManager.default.contentsOfDirectory(atPath: s.directory)
        #expect(!names.contains { $0.contains(".tmp-") })
        #expect(s.versions().count == 4)
    }

    @Test func theDaemonPidComesFromTheJournalAndOnlyTheDaemonIsSignalled() throws {
        let dir = DaemonTestSupport.tempDirectory("signal")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let journalPath = dir + "/journal.sqlite"
        #expect(DaemonSignaller.daemonPid(journalPath: journalPath) == nil)
        let child = Process()
        // A child that reports SIGHUP by its exit status (a shell or sleep would inherit an ignored
        // SIGHUP from the test runner and could not show it); it prints once its handler is set.
        child.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        child.arguments = ["-c", "import signal, sys, time\nsignal.signal(signal.SIGHUP, lambda *a: sys.exit(42))\nsignal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGHUP])\nprint('ready', flush=True)\ntime.sleep(30)"]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        defer { if child.isRunning { kill(child.processIdentifier, SIGKILL) } }
        _ = out.fileHandleForReading.availableData // "ready": the handler is installed
        let journal = try Journal(path: journalPath)
        try journal.setMeta(["pid": "\(child.processIdentifier)"])
        #expect(DaemonSignaller.daemonPid(journalPath: journalPath) == child.processIdentifier)

        // Not a matssl-agent: a stale pid is never signalled.
        let refused = DaemonSignaller.reload(journalPath: journalPath)
        guard case .notRunning(let why) = refused else { Issue.record("signalled \(refused)"); return }
        #expect(why.contains("stale pid"))
        #expect(child.isRunning)

        // The signal reaches the process when it is the expected one.
        #expect(DaemonSignaller.reload(journalPath: journalPath, expectedExecutable: "python3") == .signalled(pid: child.processIdentifier))
        child.waitUntilExit()
        #expect(child.terminationReason == .exit && child.terminationStatus == 42)

        try journal.setMeta(["pid": "0"]) // clean stop
        #expect(DaemonSignaller.daemonPid(journalPath: journalPath) == nil)
    }
}
