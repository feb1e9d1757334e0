import Foundation

/// Options shared by the SSL and fine-tuning loops.
public struct LoopOptions: Sendable {
    public var totalSteps: Int
    public var maxMinutes: Double?
    public var checkpointMinutes: Double = 5
    public var outPath: String
    public init(totalSteps: Int, outPath: String) { self.totalSteps = totalSteps; self.outPath = outPath }
}

/// One progress report.
public struct StepReport: Sendable {
    public var step: Int, totalSteps: Int
    public var loss: Double
    public var lr: Double
    public var imagesPerSecond: Double
    public var etaSeconds: Double
    public var extra: String = ""
}

/// Training diverged: the loss is not finite. The last checkpoint on disk is left untouched.
public struct TrainingDiverged: Error, CustomStringConvertible {
    public let step: Int
    public var description: String { "loss is not finite at step \(step); the last checkpoint was kept (lower --lr and --resume)" }
}

/// Why a loop ended.
public enum LoopEnd: String, Sendable { case finished, timeLimit, signal }

/// The step loop: runs `step(s)` from the state's step to totalSteps, checkpoints every few minutes,
/// at the end, on SIGINT/SIGTERM and at the time limit (`save()` writes the checkpoint).
public func runTrainingLoop(state: inout TrainingState, options: LoopOptions, imagesPerStep: Int,
                            step: (Int) throws -> (loss: Double, lr: Double, extra: String),
                            save: (TrainingState) throws -> Void,
                            progress: (StepReport) -> Void) throws -> LoopEnd {
    let start = Date()
    var lastSave = Date()
    var window: [(Date, Int)] = [(Date(), state.step)]
    let baseElapsed = state.elapsedSeconds
    func elapsed() -> Double { baseElapsed + Date().timeIntervalSince(start) }
    while state.step < options.totalSteps {
        if StopSignal.requested { state.elapsedSeconds = elapsed(); try save(state); return .signal }
        if let m = options.maxMinutes, Date().timeIntervalSince(start) >= m * 60 {
            state.elapsedSeconds = elapsed(); try save(state); return .timeLimit
        }
        let r = try step(state.step)
        guard r.loss.isFinite else { throw TrainingDiverged(step: state.step) }
        state.step += 1
        window.append((Date(), state.step))
        if window.count > 20 { window.removeFirst() }
        let dt = window.last!.0.timeIntervalSince(window.first!.0)
        let ds = window.last!.1 - window.first!.1
        let sps = dt > 0 ? Double(ds) / dt : 0
        progress(StepReport(step: state.step, totalSteps: options.totalSteps, loss: r.loss, lr: r.lr,
                            imagesPerSecond: sps * Double(imagesPerStep),
                            etaSeconds: sps > 0 ? Double(options.totalSteps - state.step) / sps : 0, extra: r.extra))
        if Date().timeIntervalSince(lastSave) >= options.checkpointMinutes * 60 {
            state.elapsedSeconds = elapsed(); try save(state); lastSave = Date()
        }
    }
    state.elapsedSeconds = elapsed()
    try save(state)
    return .finished
}
