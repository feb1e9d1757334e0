import Foundation
import Glibc
import Logging
import MatSSLLite

/// One refresh, end to end: pool → SSL → fine-tune (or AdaBN) → quantize → evaluate both models on
/// the held-out split in int8 → gate → promote atomically and signal the daemon → report.
/// Interrupted (signal) or out of time, it leaves its checkpoints in `<state>/refresh/work/` and the
/// next run for the same base model continues from them.
struct RefreshRunner {
    var config: RefreshConfig
    var logger = Logger(label: "refresh")
    /// What the daemon's command line must contain before it is sent SIGHUP.
    var daemonExecutable = "matssl-agent"

    struct Failure: Error, CustomStringConvertible { var description: String }

    var workspace: RefreshWorkspace { RefreshWorkspace(directory: (config.refreshDirectory as NSString).appendingPathComponent("work")) }
    var store: ModelStore { ModelStore(directory: config.modelsDirectory) }
    func reportPath(run: String) -> String { (config.refreshDirectory as NSString).appendingPathComponent("reports/\(run).json") }

    /// The model the daemon runs now: (int8 path, fp32 checkpoint path, version).
    func currentModel() throws -> (int8: String, fp32: String, version: String) {
        if let v = store.currentVersion() {
            let fp32 = FileManager.default.fileExists(atPath: store.fp32Path(v)) ? store.fp32Path(v) : config.baseCheckpoint
            return (store.int8Path(v), fp32, v)
        }
        let value = config.currentModelValue.isEmpty ? config.modelName : config.currentModelValue
        let int8 = try ModelLocator.resolve(value, stateDirectory: config.stateDirectory)
        let version = try QuantizedModelFile.load(path: int8).info.version
        return (int8, config.baseCheckpoint, version)
    }

    /// Runs (or resumes) a refresh. Returns the report (also written to `<state>/refresh/reports/`).
    /// A refresh that fails with an error still leaves a report (`<run>-failed.json`, decision
    /// "failed", the error as reason) and a history line, then rethrows.
    func run() throws -> RefreshReport {
        let start = Date()
        do { return try perform(start: start) } catch {
            var r = RefreshReport(run: Self.timestamp(), mode: config.mode, started: ISO8601DateFormatter().string(from: start),
                                  modelName: config.modelName, baseVersion: store.currentVersion() ?? "-")
            r.decision = "failed"; r.reasons = ["\(error)"]; r.durationSeconds = Date().timeIntervalSince(start)
            try? r.write(to: reportPath(run: r.run + "-failed"))
            logger.error("\(r.summaryLine)")
            appendHistory(r.summaryLine)
            throw error
        }
    }

    func appendHistory(_ line: String) {
        let history = (config.refreshDirectory as NSString).appendingPathComponent("history.log")
        if !FileManager.default.fileExists(atPath: history), !FileManager.default.createFile(atPath: history, contents: nil) {
            logger.warning("cannot create \(history); this run is not recorded there")
            return
        }
        guard let h = FileHandle(forWritingAtPath: history) else {
            logger.warning("cannot open \(history) for writing; this run is not recorded there")
            return
        }
        h.seekToEndOfFile()
        h.write(Data((ISO8601DateFormatter().string(from: Date()) + " " + line + "\n").utf8))
        try? h.close()
    }

    private func perform(start: Date) throws -> RefreshReport {
        try FileManager.default.createDirectory(atPath: config.refreshDirectory, withIntermediateDirectories: true)
        let lock = try Self.lock((config.refreshDirectory as NSString).appendingPathComponent("lock"))
        defer { close(lock) }
        configureComputeThreads(config.threads)

        let cur = try currentModel()
        if config.currentModelValue.contains("/") || config.currentModelValue.hasSuffix(".safetensors") {
            logger.warning("segmentation.model is a path (\(config.currentModelValue)): the daemon loads that file, not \(store.currentLink); set segmentation.model = \"\(config.modelName)\" for promotions to take effect")
        }
        guard !cur.fp32.isEmpty, FileManager.default.fileExists(atPath: cur.fp32) else {
            throw Failure(description: "no fp32 checkpoint for the current model \(cur.version) (\(cur.int8)): set refresh.base_checkpoint, or install the model with `matssl-agent models install --int8 ... --fp32 ...`")
        }
        let currentQ = try QuantizedModelFile.load(path: cur.int8)
        let ws = workspace
        var state: RefreshWorkspace.State
        if let s = ws.loadState(), s.baseVersion == cur.version, s.mode == config.mode {
            state = s
            logger.notice("resuming refresh \(s.run) of \(cur.version)")
        } else {
            ws.discard()
            state = RefreshWorkspace.State(run: Self.timestamp(), started: ISO8601DateFormatter().string(from: start), mode: config.mode,
                                           baseVersion: cur.version)
            try ws.save(state)
        }
        var report = RefreshReport(run: state.run, mode: config.mode, started: state.started, modelName: config.modelName, baseVersion: cur.version)
        report.sslLoss = state.sslLoss; report.finetuneLoss = state.finetuneLoss
        func elapsedMinutes() -> Double { Date().timeIntervalSince(start) / 60 }
        func finish(_ decision: String, _ reasons: [String]) throws -> RefreshReport {
            report.decision = decision
            report.reasons = reasons
            report.durationSeconds = state.previousSeconds + Date().timeIntervalSince(start)
            if decision == "deferred" || decision == "interrupted" {
                state.previousSeconds += Date().timeIntervalSince(start)
                state.sslLoss = report.sslLoss; state.finetuneLoss = report.finetuneLoss
                try ws.save(state)
            } else {
                ws.discard()
            }
            try report.write(to: reportPath(run: report.run))
            let line = report.summaryLine
            if decision == "promoted" || decision == "deferred" { logger.notice("\(line)") } else { logger.warning("\(line)") }
            appendHistory(line)
            return report
        }

        // Labeled data and pool.
        let sets = try LabeledSets.load(config, modelPointer: currentQ.info.trainingData) { logger.notice("\($0)") }
        report.labeledTrain = sets.train.count
        report.heldout = sets.heldout.map(\.name)
        report.classNames = currentQ.classNames
        let pool = try loadPool(ws)
        report.poolSize = pool.count
        logger.info("refresh \(state.run) of \(config.modelName) \(cur.version): pool \(pool.count) images, \(sets.train.count) labeled for training, \(sets.heldout.count) held out; budget \(config.maxMinutes) min")

        let base = try Checkpoint.load(path: cur.fp32)
        guard base.config.classNames == currentQ.classNames else {
            throw Failure(description: "\(cur.fp32) has classes \(base.config.classNames), the int8 model \(currentQ.classNames): not its checkpoint")
        }
        let trainer = CandidateTrainer(config: config, workspace: ws, logger: logger)
        let candidateNet: SegmentationNet
        var candidateClassWeights: [Float]?  // the candidate's fine-tuning class weights (nil: the base's classifier)
        if config.mode == "adabn" {
            guard !pool.isEmpty else { return try finish("rejected", ["the pool is empty: nothing to adapt to"]) }
            candidateNet = try trainer.adaBN(base: base, pool: pool, batches: config.adabnBatches)
            report.adabnBatches = config.adabnBatches
            var st = TrainingState(kind: "segmentation")
            st.provenance = ["adabn": "\(config.adabnBatches) batches", "init": cur.fp32, "pool": "\(pool.count)"]
            try Checkpoint.save(path: ws.candidateCheckpoint, config: candidateNet.config, store: candidateNet.store, state: st)
        } else {
            var sslCk: Checkpoint.Loaded? = nil
            let finetuneStarted = FileManager.default.fileExists(atPath: ws.finetuneCheckpoint)
            if config.sslSteps > 0 && pool.count >= 2 && !finetuneStarted {
                let minutes = max(config.maxMinutes * config.sslShare - elapsedMinutes(), 0)
                var curve = report.sslLoss
                let (end, st) = try trainer.runSSL(base: base, pool: pool, minutes: minutes, lossCurve: &curve)
                report.sslLoss = curve
                report.sslStepsDone = st.step; report.sslStepsTotal = st.totalSteps
                if end == .signal { return try finish("interrupted", ["signal during SSL at step \(st.step)/\(st.totalSteps); the next run resumes"]) }
                if end == .timeLimit { return try finish("deferred", ["SSL time share used up at step \(st.step)/\(st.totalSteps); the next run resumes"]) }
            } else if config.sslSteps > 0 && pool.count < 2 && !finetuneStarted {
                logger.warning("SSL skipped: the pool has \(pool.count) image(s) (the daemon has processed too few)")
            }
            if FileManager.default.fileExists(atPath: ws.sslCheckpoint) {
                let ck = try Checkpoint.load(path: ws.sslCheckpoint)
                sslCk = ck
                report.sslStepsDone = ck.state.step; report.sslStepsTotal = ck.state.totalSteps
            }
            var curve = report.finetuneLoss
            let (end, ft) = try trainer.runFinetune(base: base, ssl: sslCk, train: sets.train,
                                                    minutes: max(config.maxMinutes - elapsedMinutes(), 0), lossCurve: &curve)
            report.finetuneLoss = curve
            report.finetuneStepsDone = ft.state.step; report.finetuneStepsTotal = ft.state.totalSteps
            if end == .signal { return try finish("interrupted", ["signal during fine-tuning at step \(ft.state.step)/\(ft.state.totalSteps); the next run resumes"]) }
            if end == .timeLimit { return try finish("deferred", ["time budget used up in fine-tuning at step \(ft.state.step)/\(ft.state.totalSteps); the next run resumes"]) }
            try Checkpoint.exportWeights(from: ws.finetuneCheckpoint, to: ws.candidateCheckpoint)
            candidateNet = ft.net
            candidateNet.training = false
            candidateClassWeights = ClassWeighting.parse(ft.state.provenance["classWeights"] ?? "", classes: candidateNet.numClasses)
        }

        // The current model's class-weight correction carries over, with the candidate's own weights
        // when it was fine-tuned; applied to the in-memory nets only (checkpoints stay as trained).
        let currentAdjustment = currentQ.info.provenance.logitAdjustment
        let candidateAdjustment = currentAdjustment.map { LogitAdjustment(tau: $0.tau, classWeights: candidateClassWeights ?? $0.classWeights) }
        try candidateAdjustment?.apply(to: candidateNet)

        // Quantize the candidate; measure both models in int8 on the held-out split.
        var version = Self.timestamp()
        if version == cur.version || store.versions().contains(version) { version = cur.version + "-r" + state.run }
        var pointer = sets.pointer
        pointer["refreshed_from"] = cur.version
        pointer["refresh_mode"] = config.mode
        pointer["pool_images"] = "\(pool.count)"
        let candidateQ = try CandidateEvaluator.quantize(candidateNet, checkpointPath: ws.candidateCheckpoint, calibrationPaths: sets.calibrationPaths,
                                                         dataBarRows: config.labeledDataBarRows, limits: config.decodeLimits,
                                                         like: currentQ.info, logitAdjustment: candidateAdjustment,
                                                         name: config.modelName, version: version, trainingData: pointer) {
            logger.warning("\($0)")
        }
        try QuantizedModelFile.save(candidateQ, to: ws.candidateModel)
        report.candidateVersion = version
        let baseNet = try Checkpoint.loadSegmentationNet(path: cur.fp32)
        try currentAdjustment?.apply(to: baseNet)
        report.before = try CandidateEvaluator.score(currentQ, fp32: baseNet, images: sets.heldout)
        report.after = try CandidateEvaluator.score(candidateQ, fp32: candidateNet, images: sets.heldout)
        let gate = RefreshGate(maxClassDrop: config.maxClassDrop, minAgreement: config.minAgreement)
        let decision = gate.decide(current: report.before!, candidate: report.after!, classNames: currentQ.classNames)
        guard decision.promote else { return try finish("rejected", decision.reasons + ["kept \(cur.version)"]) }

        // Promote: the base model enters the store first if it came from elsewhere (so rollback has it).
        if store.currentVersion() == nil {
            try store.add(version: cur.version, int8: cur.int8, fp32: cur.fp32)
            try store.setCurrent(cur.version)
        }
        report.decision = "promoted"; report.reasons = decision.reasons
        let removed = try store.promote(version: version, int8: ws.candidateModel, fp32: ws.candidateCheckpoint,
                                        report: try report.jsonData(), keep: config.keepModels)
        if !removed.isEmpty { logger.info("removed old model versions \(removed.joined(separator: ", "))") }
        if config.signalDaemon {
            let outcome = DaemonSignaller.reload(journalPath: config.journalPath, expectedExecutable: daemonExecutable)
            report.daemon = outcome.description
            logger.info("\(outcome.description)")
        }
        return try finish("promoted", decision.reasons)
    }

    /// The pool: fixed in `pool.txt` for the whole refresh (resume sees the same images).
    func loadPool(_ ws: RefreshWorkspace) throws -> [TrainImage] {
        var paths = ws.loadPool()
        if paths == nil {
            let entries = ImagePool.sample(try ImagePool.processedImages(journalPath: config.journalPath), cap: config.poolSize)
            var p = entries.map(\.path)
            if config.poolCopy && !p.isEmpty {
                p = try ImagePool.copy(entries, into: (config.refreshDirectory as NSString).appendingPathComponent("pool"))
            }
            try ws.savePool(p)
            paths = p
        }
        var out: [TrainImage] = []
        for path in paths! {
            do {
                let (img, info) = try ImageDecoder.decode(path: path, limits: config.decodeLimits)
                let bar = DataBarPolicy.resolve(info: info, configuredRows: config.poolDataBarRows).rows
                out.append(try TrainImage(name: path, width: img.width, height: img.height, floatPixels: img.pixels)
                    .droppingBottomRows(bar))
            } catch { logger.warning("pool image skipped: \(error)") }
        }
        return out
    }

    static func timestamp() -> String { QuantizeCommand.timestamp() }

    /// An exclusive, non-blocking lock: a second refresh at the same time stops with a clear error.
    static func lock(_ path: String) throws -> Int32 {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open lock \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else { close(fd); throw Failure(description: "another refresh is running (lock \(path))") }
        return fd
    }
}
