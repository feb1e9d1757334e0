import Foundation
import Glibc
@testable import matssl_agent

/// Runs the built `matssl-agent` as a child process for end-to-end tests.
enum EndToEndSupport {
    /// The `matssl-agent` executable built beside this test bundle (or in the package's .build).
    static func agentBinary() -> String? {
        var candidates: [String] = []
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            var dir = (exe as NSString).deletingLastPathComponent
            // Inside an .xctest bundle directory on some layouts.
            if dir.hasSuffix(".xctest") { dir = (dir as NSString).deletingLastPathComponent }
            candidates.append(dir + "/matssl-agent")
        }
        candidates.append(DaemonTestSupport.packageRoot + "/.build/debug/matssl-agent")
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// One agent process with its own notify socket and log file.
final class AgentProcess {
    let process = Process()
    let logPath: String
    let notify: NotifySocket

    init(binary: String, config: String, logPath: String, extraEnvironment: [String: String] = [:]) throws {
        self.logPath = logPath
        notify = try NotifySocket(abstract: false)
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--config", config]
        var env = ProcessInfo.processInfo.environment
        env["NOTIFY_SOCKET"] = notify.address
        env["MATSSL_LOG_LEVEL"] = "info"
        env.removeValue(forKey: "WATCHDOG_USEC")
        env.merge(extraEnvironment) { _, new in new }
        process.environment = env
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)   // the FileHandle below throws if it failed
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        log.seekToEndOfFile()
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    /// Waits for READY=1 on the notify socket.
    func waitReady(timeout: Double = 20) -> Bool {
        notify.receive(timeout: timeout) { $0.split(separator: "\n").contains("READY=1") }
            .contains { $0.split(separator: "\n").contains("READY=1") }
    }

    func kill(_ signal: Int32) { Glibc.kill(process.processIdentifier, signal) }

    /// Waits for exit; nil on timeout.
    func waitExit(timeout: Double) -> Int32? {
        let ok = DaemonTestSupport.waitUntil(timeout: timeout) { !process.isRunning }
        return ok ? process.terminationStatus : nil
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    deinit {
        if process.isRunning { kill(SIGKILL); process.waitUntilExit() }
    }
}
