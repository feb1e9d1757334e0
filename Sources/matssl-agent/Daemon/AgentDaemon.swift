import Foundation
import Logging
import MatSSLLite
import QuantKernels
import Watcher

/// `matssl-agent run`: the long-running service. Threads: inotify/poll (Watcher), settle tracker,
/// one worker, a status/watchdog timer; the main thread sleeps until a signal flag is raised.
/// Start-up order: config → journal → segmenter → watches + start-up scan → READY=1 → backlog.
final class AgentDaemon: @unchecked Sendable {
    private let configPath: String
    private let logger = Logger(label: "matssl-agent")
    private let notifier = SystemdNotifier()
    private let journal: Journal

    private let lock = NSLock()
    private var config: AgentConfig
    private var segmenter: ImageSegmenter
    private var watcher: DirectoryWatcher?
    private var tracker: SettleTracker!
    private let health = WorkerHealth()

    private let wake = NSCondition()
    private var workAvailable = true
    private let mainWake = DispatchSemaphore(value: 0)
    private let flagsLock = NSLock()
    private var stopRequested = false
    private var reloadRequested = false
    private var signalSources: [DispatchSourceSignal] = []
    private var dirtyFolders = Set<String>()
    private var lastCSVRebuild = Date()
    /// Seconds the last folder-summary rebuild took: while busy, rebuilds wait ≥ 10× that (≥ 5 s),
    /// so folders with thousands of images do not spend the worker's time on their summaries.
    private var lastRebuildSeconds = 0.0

    init(configPath: String, config: AgentConfig) throws {
        self.configPath = configPath
        self.config = config
        self.journal = try Journal(path: config.journalPath)
        let built = try SegmenterFactory.build(config)
        self.segmenter = built.segmenter
        self.engineDescription = built.description
        self.engineNotice = built.notice
        self.modelPath = built.modelPath
    }

    private let engineDescription: String
    private let engineNotice: String?
    private let modelPath: String?

    // MARK: - Flags (set from signal sources only)

    private var isStopping: Bool { flagsLock.lock(); defer { flagsLock.unlock() }; return stopRequested }

    private func installSignalHandlers() {
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.flagsLock.lock()
                if sig == SIGHUP { self.reloadRequested = true } else { self.stopRequested = true }
                self.flagsLock.unlock()
                self.mainWake.signal()
                self.wakeWorker()
            }
            source.resume()
            signalSources.append(source)
        }
    }

    // MARK: - Run

    /// Runs until SIGTERM/SIGINT; returns the exit status (0 on a clean stop).
    func run() throws -> Int32 {
        installSignalHandlers()
        Self.boundHeapGrowth()
        let requeued = try journal.requeueInterrupted()
        if !requeued.isEmpty {
            logger.notice("\(requeued.count) file(s) interrupted by the last stop are back in the queue")
            for path in requeued { OutputPaths(image: path, layout: config.outputLayout).removeStaleTemporaries() }
        }
        if let engineNotice { logger.warning("\(engineNotice)") }
        logger.notice("engine \(engineDescription); journal \(journal.path)")

        tracker = SettleTracker(
            settleTime: config.settleTime,
            isKnown: { [journal] path, sig in journal.isKnown(path: path, signature: sig) },
            onStable: { [weak self] path, sig in self?.admit(path, sig) },
            onWarning: { [logger] in logger.warning("\($0)") })
        tracker.start()
        try startWatcher()
        try journal.setMeta(["pid": "\(getpid())", "started": ISO8601DateFormatter().string(from: Date()),
                             "model_name": segmenter.modelName, "model_version": segmenter.modelVersion, "config": configPath,
                             "model_path": modelPath ?? "", "engine_notice": engineNotice ?? "",
                             "roots": config.roots.joined(separator: ":")])
        notifier.notify("READY=1\nSTATUS=watching \(config.roots.count) folder(s)")
        logger.notice("ready: watching \(config.roots.joined(separator: ", "))")

        let workerDone = DispatchSemaphore(value: 0)
        let workerThread = Thread { [self] in self.workerLoop(); workerDone.signal() }
        workerThread.name = "worker"
        workerThread.start()
        let statusTimer = startStatusTimer()

        while true {
            mainWake.wait()
            flagsLock.lock()
            let stop = stopRequested, reload = reloadRequested
            reloadRequested = false
            flagsLock.unlock()
            if stop { break }
            if reload { self.reload() }
        }

        logger.notice("stopping: finishing the current image, taking no new work")
        notifier.notify("STOPPING=1")
        statusTimer.cancel()
        lock.lock(); let w = watcher; watcher = nil; lock.unlock()
        w?.stop()
        tracker.stop()
        wakeWorker()
        workerDone.wait()
        rebuildDirtyCSVs()
        try? journal.setMeta(["pid": "0", "stopped": ISO8601DateFormatter().string(from: Date())])
        logger.notice("stopped cleanly")
        return 0
    }

    private func startWatcher() throws {
        lock.lock(); let options = config.watchOptions; lock.unlock()
        let watcher = DirectoryWatcher(options: options) { [weak self] hint in self?.handle(hint) }
        for report in try watcher.start() {
            logger.notice("watching \(report.root) with \(report.backend.rawValue): \(report.reason)")
        }
        lock.lock(); self.watcher = watcher; lock.unlock()
    }

    private func handle(_ hint: WatchHint) {
        switch hint {
        case .file(let path): tracker.hint(path)
        case .rescanned(let root, let reason, let files): logger.info("scanned \(root) (\(reason)): \(files) candidate file(s)")
        case .warning(let text): logger.warning("\(text)")
        }
    }

    private func admit(_ path: String, _ signature: FileSignature) {
        do {
            if try journal.admit(path: path, signature: signature) {
                logger.debug("queued \(path)")
                wakeWorker()
            }
        } catch {
            logger.error("journal: cannot queue '\(path)': \(error)")
        }
    }

    private func wakeWorker() {
        wake.lock(); workAvailable = true; wake.signal(); wake.unlock()
    }

    // MARK: - Worker

    private func workerLoop() {
        var threads = 0
        while !isStopping {
            health.beat(busy: false)
            let item: QueuedFile?
            do { item = try journal.takeNext() } catch {
                logger.error("journal: cannot read the queue: \(error)")
                item = nil
            }
            guard let item else {
                rebuildDirtyCSVs()
                wake.lock()
                if !workAvailable { _ = wake.wait(until: Date(timeIntervalSinceNow: 1)) }
                workAvailable = false
                wake.unlock()
                continue
            }
            health.beat(busy: true)
            lock.lock(); let cfg = config, seg = segmenter; lock.unlock()
            if cfg.threads != threads { // int8 kernels' pool and OpenBLAS: only ever changed here, between images
                threads = cfg.threads
                qk_set_num_threads(Int32(threads))
            }
            let processor = ImageProcessor(
                config: cfg, segmenter: seg, journal: journal, logger: logger,
                rehint: { [weak self] in self?.tracker.hint($0) },
                shouldStop: { [weak self] in self?.isStopping ?? true },
                progress: { [health] in health.beat() })
            let outcome = processor.process(item)
            HeapPolicy.trim() // hand an image's buffers back before the idle wait
            health.count(outcome)
            if outcome != .abandoned, cfg.writeResultsCSV || cfg.htmlReport {
                lock.lock(); dirtyFolders.insert((item.path as NSString).deletingLastPathComponent); lock.unlock()
            }
            if Date().timeIntervalSince(lastCSVRebuild) > max(5, 10 * lastRebuildSeconds) { rebuildDirtyCSVs() }
        }
        health.beat(busy: false)
    }

    private func rebuildDirtyCSVs() {
        lock.lock(); let folders = dirtyFolders; dirtyFolders.removeAll(); let cfg = config, seg = segmenter; lock.unlock()
        let started = Date()
        defer { lastCSVRebuild = Date(); lastRebuildSeconds = lastCSVRebuild.timeIntervalSince(started) }
        let options = FolderResults.Options(config: cfg, palette: seg.palette)
        for folder in folders.sorted() {
            health.beat() // progress for the watchdog: a large folder's summaries take a while
            do {
                let report = try FolderResults.rebuild(folder: folder, options: options, journal: journal)
                for problem in report.problems { logger.warning("results of '\(folder)': \(problem)") }
            } catch {
                logger.error("cannot rebuild results.csv / index.html in '\(folder)': \(error)")
            }
        }
    }

    /// Multi-megabyte buffers (tile activations, row bands, masks, overlays) are mmapped and given
    /// back to the kernel when freed, instead of glibc's dynamic threshold (up to 32 MiB) keeping
    /// them in fragmented arenas: measured on a 4096×4096 TIFF, peak RSS otherwise creeps up
    /// tile by tile and stays high after each image.
    static func boundHeapGrowth() {
        HeapPolicy.boundForImageWork()
    }

    // MARK: - Reload (SIGHUP)

    private func reload() {
        notifier.notify("RELOADING=1")
        defer { notifier.notify("READY=1") }
        let newConfig: AgentConfig
        let newSegmenter: ImageSegmenter
        let built: SegmenterFactory.Built
        do {
            newConfig = try ConfigLoader.load(path: configPath)
            built = try SegmenterFactory.build(newConfig) // loads the model file again: a replaced model takes effect
            newSegmenter = built.segmenter
        } catch {
            logger.error("reload failed, keeping the running configuration: \(error)")
            return
        }
        lock.lock()
        let old = config
        if newConfig.stateDirectory != old.stateDirectory {
            logger.warning("state.dir changed: takes effect on restart only")
        }
        var applied = newConfig
        applied.stateDirectory = old.stateDirectory
        config = applied
        segmenter = newSegmenter
        lock.unlock()
        tracker.setSettleTime(applied.settleTime)
        try? journal.setMeta(["model_name": newSegmenter.modelName, "model_version": newSegmenter.modelVersion,
                              "model_path": built.modelPath ?? "", "engine_notice": built.notice ?? ""])
        if let notice = built.notice { logger.warning("\(notice)") }
        logger.notice("reloaded configuration; engine \(built.description)")
        if applied.watchOptions.roots != old.watchOptions.roots || applied.watchOptions.filter != old.watchOptions.filter
            || applied.backend != old.backend || applied.pollInterval != old.pollInterval || applied.rescanInterval != old.rescanInterval {
            lock.lock(); let w = watcher; watcher = nil; lock.unlock()
            w?.stop()
            do { try startWatcher() } catch {
                logger.error("cannot watch with the new configuration: \(error); restoring the previous watch settings")
                lock.lock(); config.roots = old.roots; config.include = old.include; config.exclude = old.exclude; config.backend = old.backend
                config.outputFolder = old.outputFolder; config.outputRoot = old.outputRoot; lock.unlock()
                try? startWatcher()
            }
        }
        wakeWorker()
    }

    // MARK: - Status and watchdog

    private func startStatusTimer() -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        lock.lock(); let statusInterval = config.statusInterval; lock.unlock()
        let interval = min(statusInterval, notifier.watchdogInterval.map { $0 / 3 } ?? statusInterval)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        var lastStatus = Date.distantPast
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            let h = self.health.snapshot
            let queue = (try? self.journal.queueLength()) ?? -1
            if let watchdog = self.notifier.watchdogInterval {
                let trackerAge = Date().timeIntervalSince(self.tracker.lastTickDate)
                if WatchdogPolicy.shouldPing(workerAge: h.age, trackerAge: trackerAge, interval: watchdog) {
                    self.notifier.notify("WATCHDOG=1")
                } else {
                    self.logger.warning("no progress for \(Int(h.age)) s (busy=\(h.busy)): withholding the watchdog ping")
                }
            }
            if Date().timeIntervalSince(lastStatus) >= statusInterval * 0.99 {
                lastStatus = Date()
                let status = "queue \(queue), settling \(self.tracker.pendingCount), done \(h.processed), failed \(h.failed) since start"
                self.notifier.notify("STATUS=\(status)")
                if queue > 0 || h.busy { self.logger.info("\(status)") }
            }
        }
        timer.resume()
        return timer
    }
}
