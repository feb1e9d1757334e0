import Foundation

/// Set by SIGINT/SIGTERM (the handler only sets the flag); training loops poll it.
nonisolated(unsafe) public var trainingStopRequested: sig_atomic_t = 0

public enum StopSignal {
    /// Installs flag-only handlers for SIGINT and SIGTERM.
    public static func install() {
        signal(SIGINT) { _ in trainingStopRequested = 1 }
        signal(SIGTERM) { _ in trainingStopRequested = 1 }
    }
    public static var requested: Bool { trainingStopRequested != 0 }
}
