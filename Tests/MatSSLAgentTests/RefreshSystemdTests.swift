import Foundation
import Testing
@testable import matssl_agent

/// The refresh units' content (the `systemd-analyze verify` run over every unit in deploy/systemd,
/// these included, is `SystemdTests.unitFilesVerifyWithoutAnyOutput`).
@Suite("refresh systemd units")
struct RefreshSystemdTests {
    func unit(_ name: String) throws -> [String] {
        try String(contentsOfFile: DaemonTestSupport.packageRoot + "/deploy/systemd/" + name, encoding: .utf8)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") }
    }

    @Test func theServiceIsAnIdleOneshotWithLimits() throws {
        let lines = try unit("matssl-refresh.service")
        for want in ["Type=oneshot", "Nice=19", "IOSchedulingClass=idle", "User=matssl", "StateDirectory=matssl-agent",
                     "ExecStart=/usr/local/bin/matssl-agent refresh --config /etc/matssl-agent/matssl-agent.toml"] {
            #expect(lines.contains(want), "missing \(want)")
        }
        #expect(lines.contains { $0.hasPrefix("CPUQuota=") && $0.hasSuffix("%") })
        #expect(lines.contains { $0.hasPrefix("MemoryMax=") })
        #expect(!lines.contains { $0.hasPrefix("[Install]") }) // started by the timer only
    }

    @Test func theTimerIsNightlyAndStatesItsPersistentChoice() throws {
        let lines = try unit("matssl-refresh.timer")
        #expect(lines.contains { $0.hasPrefix("OnCalendar=") })
        #expect(lines.contains("Persistent=false"))
        #expect(lines.contains("Unit=matssl-refresh.service"))
        #expect(lines.contains("WantedBy=timers.target"))
        let text = try String(contentsOfFile: DaemonTestSupport.packageRoot + "/deploy/systemd/matssl-refresh.timer", encoding: .utf8)
        #expect(text.contains("Persistent=false (a choice)"))
    }
}
