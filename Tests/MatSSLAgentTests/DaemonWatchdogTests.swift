import Foundation
import Glibc
import Testing
@testable import matssl_agent

@Suite("Watchdog")
struct DaemonWatchdogTests {
    @Test func pingsOnlyWhileTheWorkerAndTrackerShowLife() {
        #expect(WatchdogPolicy.shouldPing(workerAge: 0.5, trackerAge: 0.2, interval: 10))
        #expect(!WatchdogPolicy.shouldPing(workerAge: 11, trackerAge: 0.2, interval: 10))  // stuck in one image
        #expect(!WatchdogPolicy.shouldPing(workerAge: 0.5, trackerAge: 12, interval: 10))  // tracker dead
        #expect(WatchdogPolicy.shouldPing(workerAge: 0.5, trackerAge: 2, interval: 1))     // tracker ticks once a second when idle
    }

    @Test func workerHealthCountsOutcomesAndAges() {
        let h = WorkerHealth()
        h.beat(busy: true)
        h.count(.done); h.count(.failed("x")); h.count(.unchanged)
        let s = h.snapshot
        #expect(s.busy && s.processed == 1 && s.failed == 1 && s.age < 1)
    }

    /// The real agent, idle and healthy, pings WATCHDOG=1 when systemd asks for it.
    @Test func idleAgentPingsTheWatchdog() throws {
        guard let binary = EndToEndSupport.agentBinary() else { Issue.record("matssl-agent binary not found"); return }
        let base = DaemonTestSupport.tempDirectory("wd")
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: base + "/watch", withIntermediateDirectories: true)
        try "[watch]\nroots = [\"\(base)/watch\"]\n[state]\ndir = \"\(base)/state\"\n".write(toFile: base + "/a.toml", atomically: true, encoding: .utf8)
        let agent = try AgentProcess(binary: binary, config: base + "/a.toml", logPath: base + "/log", extraEnvironment: ["WATCHDOG_USEC": "900000"])
        #expect(agent.waitReady())
        let messages = agent.notify.receive(timeout: 3) { $0.contains("WATCHDOG=1") }
        #expect(messages.contains { $0.contains("WATCHDOG=1") }, "log:\n\(agent.log)")
        agent.kill(SIGTERM)
        #expect(agent.waitExit(timeout: 10) == 0)
    }
}
