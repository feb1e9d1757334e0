import ArgumentParser
import Foundation
import MatSSLLite

/// Where the model store is: from the config file, or given directly.
struct ModelStoreOptions: ParsableArguments {
    @Option(help: "Configuration file (TOML): state.dir and the model name.") var config: String = ConfigLoader.defaultPath
    @Option(help: "State directory (overrides state.dir).") var stateDir: String?
    @Option(help: "Model name (overrides the configuration).") var name: String?

    func resolved() throws -> RefreshConfig {
        var c = FileManager.default.fileExists(atPath: config) || stateDir == nil ? try RefreshConfig.load(path: config) : RefreshConfig()
        if let stateDir { c.stateDirectory = stateDir }
        if let name { c.modelName = name }
        return c
    }
}

/// `matssl-agent models`: the versioned models under `<state>/models/<name>/`.
struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models",
        abstract: "List, install and roll back model versions (<state>/models/<name>/).",
        subcommands: [List.self, Rollback.self, Install.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List model versions, oldest first; '*' marks current.")
        @OptionGroup var store: ModelStoreOptions
        func run() throws {
            let c = try store.resolved()
            let s = ModelStore(directory: c.modelsDirectory)
            let versions = s.versions()
            if versions.isEmpty { print("no model versions in \(s.directory)"); return }
            let cur = s.currentVersion()
            for v in versions { print(ModelsCommand.describe(s, v, current: v == cur)) }
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an older version current (default: the one before current) and signal the daemon.")
        @OptionGroup var store: ModelStoreOptions
        @Option(help: "Version to make current.") var to: String?
        @Flag(help: "Do not signal the daemon.") var noSignal = false
        func run() throws {
            let c = try store.resolved()
            let s = ModelStore(directory: c.modelsDirectory)
            let from = s.currentVersion() ?? "-"
            let v = try s.rollback(to: to)
            print("current: \(from) -> \(v)")
            if !noSignal { print(DaemonSignaller.reload(journalPath: c.journalPath).description) }
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a model (int8 file + its fp32 checkpoint) as a new version and make it current.")
        @OptionGroup var store: ModelStoreOptions
        @Option(help: "int8 model file.") var int8: String
        @Option(help: "Its fp32 checkpoint (refresh continues from it).") var fp32: String?
        @Option(help: "Version name (default: the one recorded in the int8 file).") var version: String?
        @Option(help: "Versions to keep.") var keep: Int?
        @Flag(help: "Do not signal the daemon.") var noSignal = false
        func run() throws {
            let c = try store.resolved()
            let model = try QuantizedModelFile.load(path: int8) // refuse anything the daemon could not load
            if let fp32 {
                let ck = try Checkpoint.load(path: fp32)
                guard ck.config.classNames == model.classNames else {
                    throw ValidationError("\(fp32) has classes \(ck.config.classNames), \(int8) has \(model.classNames)")
                }
            }
            let s = ModelStore(directory: c.modelsDirectory)
            let v = version ?? model.info.version
            _ = try s.promote(version: v, int8: int8, fp32: fp32, report: nil, keep: keep ?? c.keepModels)
            print("current: \(v)")
            if !noSignal { print(DaemonSignaller.reload(journalPath: c.journalPath).description) }
        }
    }

    static func describe(_ s: ModelStore, _ v: String, current: Bool) -> String {
        var parts = [(current ? "* " : "  ") + v]
        if let m = try? QuantizedModelFile.load(path: s.int8Path(v)) {
            parts.append("\(m.info.name) \(m.classNames.count) classes")
            if let from = m.info.trainingData["refreshed_from"] { parts.append("refreshed from \(from)") }
        } else { parts.append("UNREADABLE int8 file") }
        parts.append(FileManager.default.fileExists(atPath: s.fp32Path(v)) ? "fp32 ok" : "no fp32 checkpoint")
        if let d = FileManager.default.contents(atPath: s.reportPath(v)),
           let r = try? JSONDecoder().decode(RefreshReport.self, from: d), let b = r.before, let a = r.after {
            parts.append(String(format: "held-out mIoU %.4f -> %.4f", b.meanIoU, a.meanIoU))
        }
        return parts.joined(separator: "  ")
    }
}
