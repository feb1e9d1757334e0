import ArgumentParser

/// `matssl-agent inspect FILE...`: one JSON object per file (format, size, pixel size) or its error.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Describe image files as JSON lines, or say why they cannot be read.")

    @Argument(help: "Image files (TIFF, PNG, JPEG).")
    var files: [String]

    func run() throws {
        throw ValidationError("inspect is not implemented yet")
    }
}
