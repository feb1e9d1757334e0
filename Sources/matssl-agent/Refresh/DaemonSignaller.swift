import Foundation
import Glibc
import GRDB

/// Tells the running daemon to reload its model (SIGHUP).
///
/// The daemon records its pid in the journal's `meta` table at start (`pid`, set to 0 on a clean
/// stop); that is the source used here (no pid file, no privileges needed: the refresh service runs
/// as the daemon's user, and `systemctl reload` would need polkit rights). A pid is signalled only
/// if the process exists and its command line names `expectedExecutable`, so a stale pid reused by
/// another program is never sent SIGHUP (whose default action would kill it).
enum DaemonSignaller {
    enum Outcome: Equatable, CustomStringConvertible {
        case signalled(pid: Int32)
        case notRunning(String)
        case failed(String)
        var description: String {
            switch self {
            case .signalled(let pid): return "sent SIGHUP to the daemon (pid \(pid))"
            case .notRunning(let why): return "daemon not signalled: \(why)"
            case .failed(let why): return "could not signal the daemon: \(why)"
            }
        }
    }

    /// The daemon's pid from the journal (nil when absent, zero or unreadable).
    static func daemonPid(journalPath: String) -> Int32? {
        guard FileManager.default.fileExists(atPath: journalPath) else { return nil }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        guard let db = try? DatabaseQueue(path: journalPath, configuration: configuration),
              let value = try? db.read({ try String.fetchOne($0, sql: "SELECT value FROM meta WHERE key = 'pid'") }),
              let pid = Int32(value), pid > 0 else { return nil }
        return pid
    }

    /// The process's argv joined by spaces ("" when it does not exist or cannot be read).
    static func commandLine(pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ")
    }

    static func reload(pid: Int32, expectedExecutable: String = "matssl-agent", signal sig: Int32 = SIGHUP) -> Outcome {
        guard kill(pid, 0) == 0 || errno == EPERM else { return .notRunning("pid \(pid) is not running") }
        let cmd = commandLine(pid: pid)
        guard let argv0 = cmd.split(separator: " ").first, (argv0 as NSString).lastPathComponent.contains(expectedExecutable) else {
            return .notRunning("pid \(pid) runs '\(cmd.isEmpty ? "unreadable" : cmd)', not \(expectedExecutable): a stale pid reused by another program, or the agent under another executable name; not signalled")
        }
        guard kill(pid, sig) == 0 else { return .failed("kill(\(pid)): \(String(cString: strerror(errno)))") }
        return .signalled(pid: pid)
    }

    static func reload(journalPath: String, expectedExecutable: String = "matssl-agent") -> Outcome {
        guard let pid = daemonPid(journalPath: journalPath) else { return .notRunning("no daemon pid in \(journalPath)") }
        return reload(pid: pid, expectedExecutable: expectedExecutable)
    }
}
