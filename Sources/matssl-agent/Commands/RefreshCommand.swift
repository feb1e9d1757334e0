import ArgumentParser
import Foundation
import Glibc
import Logging
import MatSSLLite

/// `matssl-agent refresh`: overnight self-supervised adaptation of the model to the site's own
/// micrographs, promoted only when it is not worse on the held-out labeled split.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Adapt the model to the micrographs the daemon has processed; promote it only if it is not worse.",
        discussion: """
        Continues SSL from the current model's encoder on a pool of processed images, re-fine-tunes on the \
        site's labeled set, quantizes, and compares candidate and current model in int8 on the held-out \
        split. Promotion swaps <state>/models/<name>/current atomically and sends the daemon SIGHUP. \
        Interrupted or out of time, the next run resumes. Settings: the [refresh] section (docs/refresh.md).
        """)

    @Option(help: "Configuration file (TOML).") var config: String = ConfigLoader.defaultPath
    @Option(help: "Time budget in minutes (overrides refresh.max_minutes).") var maxMinutes: Double?
    @Flag(help: "Cheap variant: re-estimate batch-norm statistics on the pool (AdaBN) instead of SSL + fine-tuning.") var adabn = false
    @Flag(help: "Do not signal the daemon after a promotion.") var noSignal = false
    @Flag(help: "Keep the current CPU and I/O priority (default: nice 19, I/O idle).") var noIdle = false
    @Option(help: "Write the report JSON here too.") var report: String?

    func run() throws {
        let logger = Logger(label: "refresh")
        var c = try RefreshConfig.load(path: config)
        if let maxMinutes { c.maxMinutes = maxMinutes }
        if adabn { c.mode = "adabn" }
        if noSignal { c.signalDaemon = false }
        if !noIdle { logger.info("\(IdlePriority.apply())") }
        // A parent may have left SIGTERM/SIGINT blocked (signal masks survive exec; test runners do
        // this): unblock them, or a stop would be ignored instead of checkpointing.
        var set = sigset_t()
        sigemptyset(&set); sigaddset(&set, SIGTERM); sigaddset(&set, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &set, nil)
        StopSignal.install()
        let r = try RefreshRunner(config: c, logger: logger).run()
        if let report { try r.write(to: report) }
        print(r.summaryLine)
        if r.decision == "interrupted" { throw ExitCode(130) }
    }
}
