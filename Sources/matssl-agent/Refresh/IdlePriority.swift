import Foundation
import Glibc

/// Lowers this process to idle priority (nice 19 and the SCHED_IDLE CPU policy), so a refresh started
/// by hand yields to the daemon like the systemd unit does. I/O: with no explicit I/O priority the
/// kernel derives best-effort level 7 (the lowest) from nice 19; the unit's IOSchedulingClass=idle
/// goes further (ioprio_set has no libc wrapper that Swift can call).
enum IdlePriority {
    /// Returns a description of what was applied.
    @discardableResult
    static func apply() -> String {
        var done: [String] = []
        if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) == 0 { done.append("nice 19") }
        var param = sched_param(sched_priority: 0)
        if sched_setscheduler(0, 5 /* SCHED_IDLE (a GNU extension Swift does not import) */, &param) == 0 { done.append("SCHED_IDLE") }
        return done.isEmpty ? "priority unchanged" : "priority: " + done.joined(separator: ", ")
    }
}
