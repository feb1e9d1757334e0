import ArgumentParser
import Logging

/// The `matssl-agent` command: a thin CLI over MatSSLLite and Watcher.
@main
struct MatsslAgent: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matssl-agent",
        abstract: "Microscope-side micrograph segmentation agent (MatSSL-Lite, int8).",
        version: "0.1.0",
        subcommands: [
            InspectCommand.self,
            RunCommand.self,
            CheckConfigCommand.self,
            StatusCommand.self,
            ReprocessCommand.self,
            PretrainCommand.self,
            FinetuneCommand.self,
            EvaluateCommand.self,
            QuantizeCommand.self,
            SegmentCommand.self,
            ExportCommand.self,
            BenchKernelsCommand.self,
            BenchTrainCommand.self,
            RefreshCommand.self,
            ModelsCommand.self,
            BenchSegmentCommand.self,
        ]
    )

    static func main() {
        OpenBLASCoreType.ensureOptimalCoreType()
        LoggingSystem.bootstrap { label in JournaldLogHandler(label: label) }
        OpenBLASCoreType.logCoreInUse()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            exit(withError: error)
        }
    }
}
