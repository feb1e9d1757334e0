import ArgumentParser
import Foundation

/// `matssl-agent status`: what the journal says — counts, queue, last errors, model in use.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the journal: counts per status, queue length, recent errors, model in use.")

    @OptionGroup var options: ConfigOption

    @Option(name: .long, help: "Number of recent errors to list.")
    var errors = 5

    func run() throws {
        let config = try options.loadOrExit()
        guard FileManager.default.fileExists(atPath: config.journalPath) else {
            print("no journal at \(config.journalPath) yet: the agent has not run with this configuration")
            return
        }
        let journal = try Journal(path: config.journalPath, readOnly: true)
        print(try StatusReport.render(journal: journal, errors: errors))
    }
}

/// The text `status` prints (separate so tests can read it).
enum StatusReport {
    static func render(journal: Journal, errors: Int) throws -> String {
        let counts = try journal.counts()
        let meta = try journal.meta()
        var lines: [String] = []
        lines.append("journal: \(journal.path)")
        var running = "no"
        if let pidText = meta["pid"], let pid = Int32(pidText), kill(pid, 0) == 0 { running = "yes (pid \(pid))" }
        lines.append("agent running: \(running)\(meta["started"].map { ", last start \($0)" } ?? "")")
        lines.append("model: \(meta["model_name"] ?? "?") \(meta["model_version"] ?? "")"
                     + (meta["model_path"].flatMap { $0.isEmpty ? nil : " from \($0)" } ?? ""))
        if let notice = meta["engine_notice"], !notice.isEmpty { lines.append("note: \(notice)") }
        lines.append("queue: \(counts[.queued, default: 0] + counts[.processing, default: 0]) (processing \(counts[.processing, default: 0]))")
        lines.append("files: " + FileStatus.allCases.map { "\($0.rawValue) \(counts[$0, default: 0])" }.joined(separator: ", "))
        let byModel = try journal.doneByModel()
        if byModel.count > 1 {
            lines.append("results by model: " + byModel.map { "\($0.model) (\($0.count))" }.joined(separator: ", ")
                         + " — `matssl-agent reprocess` re-segments those made by another model than the configured one")
        }
        let recent = try journal.lastErrors(limit: errors)
        if !recent.isEmpty {
            lines.append("recent errors:")
            for row in recent { lines.append("  \(row.path): \(row.error ?? "?")") }
        }
        return lines.joined(separator: "\n")
    }
}
