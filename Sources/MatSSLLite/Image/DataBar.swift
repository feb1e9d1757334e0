/// Where the height of an image's SEM data bar came from.
public enum DataBarSource: String, Codable, Equatable, Sendable {
    /// FEI/Thermo tag 34682: the file's height minus `[Image]` `ResolutionY` (the scanned frame).
    case feiMetadata = "fei-tag-34682"
    /// The configured `statistics.data_bar_rows` (or `--data-bar-rows`).
    case config
    /// No bar: neither the file nor the configuration names one.
    case none
}

/// Reads the data bar height out of microscope metadata. Never guesses: metadata that does not
/// parse, or names a frame taller than the image, gives nil.
public enum DataBarParser {
    /// FEI/Thermo tag 34682 INI text: the microscope appends its data bar below the scanned frame,
    /// whose height is `[Image]` `ResolutionY`; the bar is the rest of the image (0 when the image
    /// was saved without one).
    public static func fei(_ text: String, imageHeight: Int) -> Int? {
        guard let frame = PixelSizeParser.iniValue(text, section: "image", key: "resolutiony").flatMap({ Int($0) }),
              frame >= 1, frame <= imageHeight else { return nil }
        return imageHeight - frame
    }
}
