import ArgumentParser
import Foundation

/// `matssl-agent reprocess [PATH...]`: queue finished images again in the daemon's journal so they
/// are segmented anew — by default those whose results came from another model than the one
/// configured now (after a refresh promoted a new one, or `segmentation.model` changed), with
/// `--all` every one (after changing settings that alter results: data bar, intensity range, TTA).
/// The running daemon's worker takes the rows up within a second (it polls its queue); otherwise
/// they wait in the journal for its start.
/// Outputs are replaced atomically when the new ones are written; until then the old ones stay.
struct ReprocessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reprocess",
        abstract: "Queue processed images again (e.g. after a model change) for the daemon to re-segment.")

    @OptionGroup var options: ConfigOption

    @Argument(help: "Images or folders to limit it to (default: every image in the journal).")
    var paths: [String] = []

    @Flag(help: "Every finished image, not only those made by another model than the configured one.")
    var all = false

    @Flag(help: "List what would be queued; change nothing.")
    var dryRun = false

    func run() throws {
        let config = try options.loadOrExit()
        guard FileManager.default.fileExists(atPath: config.journalPath) else {
            print("no journal at \(config.journalPath): nothing has been processed with this configuration")
            return
        }
        let absolute = paths.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
        let journal = try Journal(path: config.journalPath, readOnly: dryRun)
        var rows = try journal.finishedRows(under: absolute)
        var current = ""
        if !all {
            let built = try SegmenterFactory.build(config)
            current = "\(built.segmenter.modelName) \(built.segmenter.modelVersion)"
            rows = rows.filter { "\($0.modelName ?? "") \($0.modelVersion ?? "")" != current }
        }
        let what = all ? "finished image(s)" : "image(s) made by another model than \(current)"
        if dryRun {
            for row in rows { print("\(row.path)  (\(row.modelName ?? "?") \(row.modelVersion ?? "?"), \(row.status.rawValue))") }
            print("\(rows.count) \(what) would be queued")
            return
        }
        let queued = try journal.queueForReprocessing(rows.map(\.path))
        print("queued \(queued) \(what)")
        guard queued > 0 else { return }
        // The daemon's worker looks at the journal's queue at least once a second: no signal needed
        // (one it does not handle would kill an older running daemon).
        if let pid = DaemonSignaller.daemonPid(journalPath: config.journalPath), kill(pid, 0) == 0 {
            print("the running daemon (pid \(pid)) takes them up within a second")
        } else {
            print("the daemon is not running: they wait in the journal for its next start")
        }
    }
}
