import Foundation
import MatSSLLite

/// The resumable state of an unfinished refresh, in `<state>/refresh/work/`:
/// `state.json` (this struct), `pool.txt` (the pool, fixed for the whole refresh so a resumed SSL
/// sees the same data order), `ssl.safetensors` and `finetune.safetensors` (training checkpoints
/// with optimizer state). A refresh resumes only for the same base model version and mode;
/// otherwise the work folder is discarded and a new refresh starts.
struct RefreshWorkspace {
    struct State: Codable, Equatable {
        var run: String
        var started: String
        var mode: String
        var baseVersion: String
        var sslLoss: [[Double]] = []
        var finetuneLoss: [[Double]] = []
        /// Wall-clock seconds spent by earlier (interrupted) runs of this refresh.
        var previousSeconds: Double = 0
    }

    let directory: String
    var statePath: String { path("state.json") }
    var poolPath: String { path("pool.txt") }
    var sslCheckpoint: String { path("ssl.safetensors") }
    var finetuneCheckpoint: String { path("finetune.safetensors") }
    var candidateCheckpoint: String { path("candidate.fp32.safetensors") }
    var candidateModel: String { path("candidate.int8.safetensors") }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    func loadState() -> State? {
        guard let data = FileManager.default.contents(atPath: statePath) else { return nil }
        return try? JSONDecoder().decode(State.self, from: data)
    }

    func save(_ state: State) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFileWriter.write([UInt8](try enc.encode(state)), to: statePath)
    }

    func savePool(_ paths: [String]) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try AtomicFileWriter.write(text: paths.joined(separator: "\n") + "\n", to: poolPath)
    }

    func loadPool() -> [String]? {
        guard let text = try? String(contentsOfFile: poolPath, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    func discard() { try? FileManager.default.removeItem(atPath: directory) }
}
