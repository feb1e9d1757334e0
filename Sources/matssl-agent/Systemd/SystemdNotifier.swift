import Foundation
import Glibc

/// sd_notify without libsystemd: one datagram to the AF_UNIX socket named by `$NOTIFY_SOCKET`
/// (a path, or an abstract name written with a leading '@'). A no-op when the variable is unset,
/// i.e. when not running under systemd with Type=notify.
struct SystemdNotifier: Sendable {
    /// The socket address from the environment, or nil when not under systemd.
    let socketPath: String?
    /// `WatchdogSec` as systemd passed it (`$WATCHDOG_USEC`), when it is meant for this process.
    let watchdogInterval: Double?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let path = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        socketPath = path
        var interval: Double?
        if let usec = environment["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 {
            // WATCHDOG_PID, when set, names the process the watchdog is meant for.
            if let pid = environment["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() {
                interval = nil
            } else {
                interval = usec / 1_000_000
            }
        }
        watchdogInterval = path == nil ? nil : interval
    }

    var isActive: Bool { socketPath != nil }

    /// Sends `state` (newline-separated assignments such as "READY=1\nSTATUS=..."). Returns false on
    /// failure; never throws: notification trouble must not stop the daemon.
    @discardableResult
    func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        return Self.send(state, to: socketPath)
    }

    /// One datagram to `socketPath` ('@' prefix = abstract namespace). Never blocks: a receiver whose
    /// queue is full loses the message rather than stalling the daemon (and its shutdown).
    static func send(_ state: String, to socketPath: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        let abstract = bytes.first == UInt8(ascii: "@")
        if abstract { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity || (abstract && bytes.count <= capacity) else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
        }
        // Abstract names are length-delimited (no terminating NUL); paths carry their NUL.
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let payload = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                payload.withUnsafeBytes { sendto(fd, $0.baseAddress, payload.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), sa, length) }
            }
        }
        return sent == payload.count
    }
}
