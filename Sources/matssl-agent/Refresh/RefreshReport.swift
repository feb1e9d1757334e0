import Foundation
import MatSSLLite

/// The record of one refresh (`<state>/refresh/reports/<run>.json`, and one log line).
struct RefreshReport: Codable, Sendable {
    var run: String
    var mode: String
    var started: String
    var durationSeconds: Double = 0
    var modelName: String
    var baseVersion: String
    var candidateVersion: String?
    var poolSize: Int = 0
    var labeledTrain: Int = 0
    var heldout: [String] = []
    var sslStepsDone: Int = 0
    var sslStepsTotal: Int = 0
    /// (step, loss) every few steps of this run's SSL phase.
    var sslLoss: [[Double]] = []
    var finetuneStepsDone: Int = 0
    var finetuneStepsTotal: Int = 0
    var finetuneLoss: [[Double]] = []
    var adabnBatches: Int = 0
    var classNames: [String] = []
    var before: ModelScore?
    var after: ModelScore?
    /// "promoted", "rejected", "deferred" (budget used up; resumes next run), "interrupted", "failed".
    var decision: String = "failed"
    var reasons: [String] = []
    var daemon: String?

    /// One line for the log.
    var summaryLine: String {
        func f(_ s: ModelScore?) -> String { s.map { String(format: "%.4f", $0.meanIoU) } ?? "-" }
        return "refresh \(run) \(decision): \(modelName) \(baseVersion) -> \(candidateVersion ?? "-"); mIoU \(f(before)) -> \(f(after)); pool \(poolSize); SSL \(sslStepsDone)/\(sslStepsTotal) steps; \(String(format: "%.0f", durationSeconds)) s; \(reasons.joined(separator: "; "))"
    }

    func write(to path: String) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try AtomicFileWriter.write([UInt8](try enc.encode(self)), to: path)
    }

    func jsonData() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try enc.encode(self)
    }
}
