import ArgumentParser
import Foundation

/// `matssl-agent check-config`: parse and validate the configuration against this machine
/// (ExecStartPre of the service). Exit 0 and a summary when usable; 78 (EX_CONFIG) with every problem otherwise.
struct CheckConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration file and the folders it names.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let config: AgentConfig
        do {
            config = try ConfigLoader.load(path: options.config)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
        var notes: [String] = []
        let problems = ConfigLoader.checkEnvironment(config, notes: &notes)
        if !problems.isEmpty {
            for p in problems { FileHandle.standardError.write(Data("configuration '\(options.config)': \(p)\n".utf8)) }
            throw ExitCode(78)
        }
        print("configuration '\(options.config)' is valid")
        print("  roots: \(config.roots.joined(separator: ", ")) (backend \(config.backend.rawValue), settle \(config.settleTime) s)")
        print("  engine = \"\(config.engine)\"\(config.model.isEmpty ? "" : ", model = \"\(config.model)\""), threads \(config.threads), "
              + "tta \(config.testTimeAugmentation), tiles up to \(config.tileMegapixels > 0 ? String(format: "%g Mpx", config.tileMegapixels) : "the model's budget")")
        for note in notes { print("  \(note)") }
        print("  statistics: grain classes [\(config.grainClasses.joined(separator: ", "))], data bar \(config.dataBarRows) rows (FEI/Thermo TIFFs: their own), "
              + "objects CSV \(config.objectsCSV ? "on" : "off"), CSV separator '\(config.csvSeparator.rawValue)', index.html \(config.htmlReport ? "on" : "off")")
        print("  images: pixel size \(config.pixelSizeMicrometres > 0 ? "\(config.pixelSizeMicrometres) µm where the file has none" : "from the file only")"
              + ", intensity range \(config.intensityRange)")
        print("  outputs: \(config.outputLayout.description), journal: \(config.journalPath)")
    }
}
