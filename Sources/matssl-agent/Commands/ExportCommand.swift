import ArgumentParser
import MatSSLLite

/// `matssl-agent export`: a fine-tuned checkpoint without its optimizer state, for shipping.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Copy an fp32 checkpoint without its optimizer state (weights only).")

    @Option(help: "Checkpoint to read.") var model: String
    @Option(help: "Checkpoint to write.") var out: String

    func run() throws {
        try Checkpoint.exportWeights(from: model, to: out)
        _ = try Checkpoint.load(path: out)  // validate what was written
    }
}
