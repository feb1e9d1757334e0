import ArgumentParser
import MatSSLLite

/// `--intensity-range auto|storage|LOW:HIGH` on `segment` and `inspect` (the daemon's
/// `[image] intensity_range`).
extension IntensityPolicy: ExpressibleByArgument {
    public init?(argument: String) { try? self.init(parsing: argument) }

    public var defaultValueDescription: String { description }

    static let argumentHelp = ArgumentHelp(
        "Raw sample values read as black and white: auto, storage or LOW:HIGH (e.g. 0:4095).",
        discussion: "auto: the file's declared range, else full scale for 8-bit images, else the data's depth (12-bit values in a 16-bit file read as 0:4095); storage: full scale of the file's sample type. See docs/image-io.md.")
}
