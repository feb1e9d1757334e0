import ArgumentParser
import Foundation
import Logging

/// Options shared by the daemon's commands.
struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Configuration file (TOML).")
    var config: String = ConfigLoader.defaultPath

    /// The configuration, or every problem on stderr and exit status 78 (EX_CONFIG).
    func loadOrExit() throws -> AgentConfig {
        do { return try ConfigLoader.load(path: config) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(78)
        }
    }
}

/// `matssl-agent run`: watch the configured folders and segment every image that arrives.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Watch folders and segment images as they arrive (the systemd service).")

    @OptionGroup var options: ConfigOption

    @Flag(name: .long, help: "Log debug messages.")
    var verbose = false

    func run() throws {
        if verbose { JournaldLogHandler.defaultLevel = .debug }
        let logger = Logger(label: "matssl-agent")
        let config: AgentConfig
        do {
            config = try ConfigLoader.load(path: options.config)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(78) // EX_CONFIG
        }
        let problems = ConfigLoader.checkEnvironment(config)
        if !problems.isEmpty {
            for p in problems { logger.critical("configuration '\(options.config)': \(p)") }
            throw ExitCode(78)
        }
        let status: Int32
        do {
            let daemon = try AgentDaemon(configPath: options.config, config: config)
            status = try daemon.run()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        if status != 0 { throw ExitCode(status) }
    }
}
