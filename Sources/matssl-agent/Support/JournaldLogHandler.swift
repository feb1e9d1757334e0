import Foundation
import Logging

/// A swift-log handler that writes one line per message to stderr with a journald priority prefix
/// (`<3>` error … `<7>` debug), so journald files each line at the right priority and a terminal still
/// reads well. The global level comes from `MATSSL_LOG_LEVEL` or `--verbose`.
struct JournaldLogHandler: LogHandler {
    /// Process-wide default level; `--verbose` lowers it to `.debug`.
    nonisolated(unsafe) static var defaultLevel: Logger.Level = {
        if let raw = ProcessInfo.processInfo.environment["MATSSL_LOG_LEVEL"], let level = Logger.Level(rawValue: raw) {
            return level
        }
        return .info
    }()

    let label: String
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = JournaldLogHandler.defaultLevel

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority journald expects for a swift-log level.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let meta = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        // One line per record: embedded newlines would be split into separate journal entries.
        let text = "\(event.message)\(meta)".replacingOccurrences(of: "\n", with: " ⏎ ")
        let line = "<\(Self.priority(event.level))>\(label): \(text)\n"
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }
}
