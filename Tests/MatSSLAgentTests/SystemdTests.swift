import Foundation
import Glibc
import Testing
@testable import matssl_agent

/// A unix datagram socket the test owns, standing in for systemd's $NOTIFY_SOCKET.
final class NotifySocket {
    let fd: Int32
    /// The address as $NOTIFY_SOCKET spells it (path, or '@name' for the abstract namespace).
    let address: String
    private let cleanupPath: String?

    init(abstract: Bool) throws {
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        let name = "matssl-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes: [UInt8]
        if abstract {
            address = "@" + name
            bytes = [0] + Array(name.utf8)
            cleanupPath = nil
        } else {
            address = NSTemporaryDirectory() + name + ".sock"
            bytes = Array(address.utf8) + [0]
            cleanupPath = address
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else { close(fd); throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(fd)
        if let cleanupPath { unlink(cleanupPath) }
    }

    /// Datagrams received within `timeout` seconds, until `until` matches one.
    func receive(timeout: Double, until: (String) -> Bool = { _ in false }) -> [String] {
        var out: [String] = []
        let deadline = Date(timeIntervalSinceNow: timeout)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                out.append(text)
                if until(text) { break }
            }
        }
        return out
    }
}

@Suite("systemd integration")
struct SystemdTests {
    @Test(arguments: [false, true])
    func notifierSendsOneDatagram(abstract: Bool) throws {
        let sock = try NotifySocket(abstract: abstract)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": sock.address, "WATCHDOG_USEC": "3000000"])
        #expect(notifier.isActive && notifier.watchdogInterval == 3)
        #expect(notifier.notify("READY=1\nSTATUS=ok"))
        #expect(sock.receive(timeout: 1, until: { _ in true }) == ["READY=1\nSTATUS=ok"])
    }

    @Test func notifierIsANoOpOutsideSystemd() {
        let notifier = SystemdNotifier(environment: [:])
        #expect(!notifier.isActive && notifier.watchdogInterval == nil)
        #expect(!notifier.notify("READY=1"))
        // A watchdog meant for another process is ignored.
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": "/x", "WATCHDOG_USEC": "1000", "WATCHDOG_PID": "1"]).watchdogInterval == nil)
    }

    /// `systemd-analyze verify` exits 0 on warnings, so any output at all fails the test. The unit is
    /// copied with ExecStart/ExecStartPre pointing at the built binary so verify checks a real path.
    @Test func unitFilesVerifyWithoutAnyOutput() throws {
        let analyze = "/usr/bin/systemd-analyze"
        guard FileManager.default.isExecutableFile(atPath: analyze) else {
            print("SKIP unitFilesVerifyWithoutAnyOutput: systemd-analyze is not installed")
            return
        }
        let binary = try #require(EndToEndSupport.agentBinary(), "built matssl-agent binary not found")
        let unitDir = DaemonTestSupport.packageRoot + "/deploy/systemd"
        let units = try FileManager.default.contentsOfDirectory(atPath: unitDir).filter { $0.hasSuffix(".service") || $0.hasSuffix(".timer") }
        #expect(!units.isEmpty)
        let dir = DaemonTestSupport.tempDirectory("units")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for unit in units {
            let text = try String(contentsOfFile: unitDir + "/" + unit, encoding: .utf8)
            #expect(text.contains("/usr/local/bin/matssl-agent"))
            try text.replacingOccurrences(of: "/usr/local/bin/matssl-agent", with: binary)
                .write(toFile: dir + "/" + unit, atomically: true, encoding: .utf8)
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: analyze)
        p.arguments = ["verify"] + units.map { dir + "/" + $0 }
        p.environment = ["SYSTEMD_LOG_COLOR": "0", "PATH": "/usr/bin:/bin"]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(output.isEmpty, "systemd-analyze verify said: \(output)")
        #expect(p.terminationStatus == 0)
    }

    @Test func unitUsesNotifyWithHupReloadAndHardening() throws {
        let text = try String(contentsOfFile: DaemonTestSupport.packageRoot + "/deploy/systemd/matssl-agent.service", encoding: .utf8)
        for line in ["Type=notify", "ExecReload=/bin/kill -HUP $MAINPID", "Restart=on-failure", "ProtectSystem=strict",
                     "NoNewPrivileges=yes", "PrivateTmp=yes", "StateDirectory=matssl-agent", "MemoryMax=", "WatchdogSec="] {
            #expect(text.contains(line), "missing \(line)")
        }
        // systemd 252 (Debian 12) has no Type=notify-reload.
        #expect(!text.split(separator: "\n").contains { $0.hasPrefix("Type=notify-reload") })
    }
}

@Suite("systemd notify never blocks")
struct SystemdNotifierBlockingTests {
    /// A receiver that never reads must not stall the sender (it would hang shutdown on STOPPING=1).
    @Test func aFullReceiverQueueDoesNotBlock() throws {
        let sock = try NotifySocket(abstract: true)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": sock.address])
        let start = Date()
        var failures = 0
        for i in 0..<5000 where !notifier.notify("STATUS=message \(i) " + String(repeating: "x", count: 200)) { failures += 1 }
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(failures > 0) // the queue did fill up: the test exercised the full case
    }
}
