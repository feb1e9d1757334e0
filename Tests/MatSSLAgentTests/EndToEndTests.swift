import Foundation
import Glibc
import MatSSLLite
import Testing
import Watcher
@testable import matssl_agent

/// The built agent on a real temporary folder, fed the ways microscopes and people write files:
/// `cp`, write-then-rename, slow partial writes, a burst of 200 files with a SIGKILL in the middle,
/// nested new folders, a corrupt file, a zero-byte file, a rewrite with new content, a touch. Every
/// good image must get exactly one set of outputs, every bad one an error record, and nothing else.
@Suite("End to end", .serialized)
struct EndToEndTests {
    static let burst = 200

    @Test(arguments: ["inotify", "polling"])
    func everyArrivalIsProcessedExactlyOnceAcrossAKill(backend: String) throws {
        guard let binary = EndToEndSupport.agentBinary() else {
            Issue.record("matssl-agent binary not found beside the tests; build it with `swift build`")
            return
        }
        let base = DaemonTestSupport.tempDirectory("e2e-\(backend)")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/watch", state = base + "/state", outside = base + "/outside"
        for d in [root, state, outside] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let config = base + "/agent.toml"
        try """
            [watch]
            roots = ["\(root)"]
            backend = "\(backend)"
            settle_time = 0.2
            poll_interval = 0.1
            rescan_interval = 0
            [segmentation]
            engine = "otsu"
            [state]
            dir = "\(state)"
            [service]
            status_interval = 0.5
            """.write(toFile: config, atomically: true, encoding: .utf8)

        var seed = 0
        func png() throws -> Data { seed += 1; return try DaemonTestSupport.pngBytes(seed: seed) }
        var good: Set<String> = []
        var bad: Set<String> = []

        // A backlog present before the agent starts.
        DaemonTestSupport.write(try png(), to: root + "/old.png"); good.insert("old.png")

        var agent = try AgentProcess(binary: binary, config: config, logPath: base + "/agent.log")
        #expect(agent.waitReady(), "no READY=1; log:\n\(agent.log)")

        // cp from elsewhere.
        DaemonTestSupport.write(try png(), to: outside + "/src.png")
        try run("/bin/cp", [outside + "/src.png", root + "/copied.png"]); good.insert("copied.png")
        // A hard link made into the tree (only IN_CREATE announces it).
        DaemonTestSupport.write(try png(), to: outside + "/linked-src.png")
        try run("/bin/ln", [outside + "/linked-src.png", root + "/linked.png"]); good.insert("linked.png")
        // Write a hidden temp file, then rename into place.
        DaemonTestSupport.write(try png(), to: root + "/.incoming.png.part")
        try FileManager.default.moveItem(atPath: root + "/.incoming.png.part", toPath: root + "/renamed.png"); good.insert("renamed.png")
        // Nested new folders.
        try FileManager.default.createDirectory(atPath: root + "/a/b/c", withIntermediateDirectories: true)
        DaemonTestSupport.write(try png(), to: root + "/a/b/c/nested.png"); good.insert("a/b/c/nested.png")
        DaemonTestSupport.write(try png(), to: root + "/a/x.png"); good.insert("a/x.png")
        // Bad files.
        let corrupt = try png()
        DaemonTestSupport.write(corrupt.prefix(corrupt.count * 2 / 3), to: root + "/corrupt.png"); bad.insert("corrupt.png")
        DaemonTestSupport.write(Data(), to: root + "/zero.png"); bad.insert("zero.png")
        // Slow partial write: chunks 60 ms apart (less than the settle time).
        let slow = try png()
        #expect(FileManager.default.createFile(atPath: root + "/slow.png", contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: root + "/slow.png"))
        let chunk = max(1, slow.count / 6)
        for start in stride(from: 0, to: slow.count, by: chunk) {
            handle.write(slow.subdata(in: start..<min(slow.count, start + chunk)))
            usleep(60_000)
        }
        try handle.close(); good.insert("slow.png")
        // A file that will be rewritten with new content once processed.
        DaemonTestSupport.write(try png(), to: root + "/rewrite.png"); good.insert("rewrite.png")

        #expect(waitProcessed(root: root, good: good, bad: bad, timeout: 60), "first wave not processed; log:\n\(agent.log)")
        DaemonTestSupport.write(try png(), to: root + "/rewrite.png")
        try run("/usr/bin/touch", [root + "/old.png"])

        // A burst of small files; SIGKILL in the middle; the rest arrives while the agent is down.
        try FileManager.default.createDirectory(atPath: root + "/burst", withIntermediateDirectories: true)
        let burstData = try (0..<Self.burst).map { _ in try png() }
        for i in 0..<Self.burst {
            DaemonTestSupport.write(burstData[i], to: root + "/burst/img\(i).png"); good.insert("burst/img\(i).png")
            if i == Self.burst / 2 {
                // Let some of the burst be processed so the kill lands mid-work.
                _ = DaemonTestSupport.waitUntil(timeout: 5) { ((try? FileManager.default.contentsOfDirectory(atPath: root + "/burst/matssl")) ?? []).count > 20 }
                agent.kill(SIGKILL)
                #expect(agent.waitExit(timeout: 5) != nil)
            }
        }
        agent = try AgentProcess(binary: binary, config: config, logPath: base + "/agent.log")
        #expect(agent.waitReady(), "no READY=1 after restart; log:\n\(agent.log)")

        #expect(waitProcessed(root: root, good: good, bad: bad, timeout: 90), "not everything processed; log:\n\(agent.log)")
        usleep(800_000) // anything extra would show up now

        try assertOutputs(root: root, good: good, bad: bad)
        let journal = try Journal(path: state + "/journal.sqlite", readOnly: true)
        let duplicates = try journal.duplicateProcessings()
        #expect(duplicates.isEmpty, "content processed twice: \(duplicates)")
        #expect(try journal.processingCount(path: root + "/old.png") == 1, "touch must not reprocess")
        #expect(try journal.processingCount(path: root + "/rewrite.png") == 2, "a rewrite must be processed again")
        #expect(try journal.queueLength() == 0)
        let counts = try journal.counts()
        #expect(counts[.done] == good.count && counts[.failed] == bad.count)

        // `matssl-agent status` reads the same journal while the agent runs.
        let status = try output(binary, ["status", "--config", config])
        #expect(status.contains("done \(good.count)") && status.contains("failed \(bad.count)") && status.contains("agent running: yes"), "status said:\n\(status)")
        #expect(status.contains("corrupt.png") && status.contains("zero.png"))

        agent.kill(SIGTERM)
        #expect(agent.waitExit(timeout: 10) == 0, "SIGTERM must exit 0; log:\n\(agent.log)")
        #expect(agent.log.contains("stopped cleanly"))
    }

    /// SIGHUP reloads the configuration without dropping queued work; a broken file on reload keeps
    /// the running configuration.
    @Test func sighupReloadsWithoutDroppingQueuedWork() throws {
        guard let binary = EndToEndSupport.agentBinary() else {
            Issue.record("matssl-agent binary not found beside the tests; build it with `swift build`")
            return
        }
        let base = DaemonTestSupport.tempDirectory("e2e-hup")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/watch", state = base + "/state"
        for d in [root, state] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let config = base + "/agent.toml"
        func writeConfig(overlay: Bool, extra: String = "") throws {
            try """
                [watch]
                roots = ["\(root)"]
                settle_time = 0.2
                [output]
                overlay = \(overlay)
                [segmentation]
                engine = "otsu"
                [state]
                dir = "\(state)"
                \(extra)
                """.write(toFile: config, atomically: true, encoding: .utf8)
        }
        try writeConfig(overlay: true)
        let agent = try AgentProcess(binary: binary, config: config, logPath: base + "/agent.log")
        #expect(agent.waitReady(), "no READY=1; log:\n\(agent.log)")
        var names: [String] = []
        for i in 0..<30 {
            DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 1000 + i), to: root + "/h\(i).png")
            names.append("h\(i).png")
        }
        try writeConfig(overlay: false)
        agent.kill(SIGHUP)
        let messages = agent.notify.receive(timeout: 10) { $0.contains("READY=1") }
        #expect(messages.contains { $0.contains("RELOADING=1") }, "got \(messages)")
        #expect(DaemonTestSupport.waitUntil(timeout: 30) {
            names.allSatisfy { FileManager.default.fileExists(atPath: OutputPaths(image: root + "/" + $0, folderName: "matssl").stats) }
        }, "queued work lost across SIGHUP; log:\n\(agent.log)")
        // Files arriving after the reload follow the new configuration.
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 2000), to: root + "/after.png")
        let after = OutputPaths(image: root + "/after.png", folderName: "matssl")
        #expect(DaemonTestSupport.waitUntil(timeout: 10) { FileManager.default.fileExists(atPath: after.stats) })
        #expect(!FileManager.default.fileExists(atPath: after.overlay))

        // A broken configuration on reload is refused; the agent keeps working.
        try writeConfig(overlay: false, extra: "[bogus]\n")
        agent.kill(SIGHUP)
        usleep(500_000)
        #expect(agent.process.isRunning)
        #expect(agent.log.contains("reload failed, keeping the running configuration"))
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 3000), to: root + "/later.png")
        #expect(DaemonTestSupport.waitUntil(timeout: 10) {
            FileManager.default.fileExists(atPath: OutputPaths(image: root + "/later.png", folderName: "matssl").stats)
        })
        let journal = try Journal(path: state + "/journal.sqlite", readOnly: true)
        #expect(try journal.duplicateProcessings().isEmpty)
        #expect(try journal.counts()[.done] == names.count + 2)
        agent.kill(SIGTERM)
        #expect(agent.waitExit(timeout: 10) == 0)
    }

    /// All good images have stats for their current content; all bad ones an error record.
    func waitProcessed(root: String, good: Set<String>, bad: Set<String>, timeout: Double) -> Bool {
        DaemonTestSupport.waitUntil(timeout: timeout) {
            for rel in good {
                let out = OutputPaths(image: root + "/" + rel, folderName: "matssl")
                guard let stats = try? StatisticsFiles.readJSON(path: out.stats),
                      let hash = try? SHA256.hex(fileAt: root + "/" + rel), stats.provenance.imageSHA256 == hash else { return false }
            }
            for rel in bad where !FileManager.default.fileExists(atPath: OutputPaths(image: root + "/" + rel, folderName: "matssl").error) {
                return false
            }
            return true
        }
    }

    func assertOutputs(root: String, good: Set<String>, bad: Set<String>) throws {
        var expected: [String: Set<String>] = [:] // output dir → expected entries
        for rel in good {
            let out = OutputPaths(image: root + "/" + rel, folderName: "matssl")
            expected[out.directory, default: ["results.csv", "index.html"]].formUnion([out.mask, out.overlay, out.thumbnail, out.stats].map { ($0 as NSString).lastPathComponent })
        }
        for rel in bad {
            let out = OutputPaths(image: root + "/" + rel, folderName: "matssl")
            expected[out.directory, default: []].insert((out.error as NSString).lastPathComponent)
        }
        // Every output folder under the root, and nothing but the expected files in them.
        let all = try FileManager.default.subpathsOfDirectory(atPath: root).filter { ($0 as NSString).lastPathComponent == "matssl" }
        #expect(Set(all.map { root + "/" + $0 }) == Set(expected.keys))
        for (dir, names) in expected {
            let present = Set(try FileManager.default.contentsOfDirectory(atPath: dir))
            #expect(present == names, "in \(dir): unexpected \(present.subtracting(names).sorted()), missing \(names.subtracting(present).sorted())")
            if names.contains("results.csv") {
                let html = try String(contentsOfFile: dir + "/index.html", encoding: .utf8)
                #expect(html.contains("<h2>Series summary</h2>"))
                let csv = try String(contentsOfFile: dir + "/results.csv", encoding: .utf8)
                let images = good.filter { (root + "/" + ($0 as NSString).deletingLastPathComponent + "/matssl").replacingOccurrences(of: "/./", with: "/") == dir
                    || (($0 as NSString).deletingLastPathComponent.isEmpty && dir == root + "/matssl") }
                #expect(csv.split(whereSeparator: \.isNewline).count == images.count + 1, "results.csv rows in \(dir)")
                for image in images { #expect(html.contains(FolderReport.esc((image as NSString).lastPathComponent))) }
            }
        }
    }

    func output(_ tool: String, _ args: [String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text
    }

    func run(_ tool: String, _ args: [String]) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        try p.run()
        p.waitUntilExit()
    }
}
