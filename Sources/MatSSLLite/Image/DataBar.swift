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
        var inImage = false
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0.isNewline }) {
            let line = raw.trimmingCharacters()
            if line.hasPrefix("[") {
                inImage = line.lowercased() == "[image]"
                continue
            }
            guard inImage, let eq = line.firstIndex(of: "=") else { continue }
            guard line[..<eq].trimmingCharacters().lowercased() == "resolutiony" else { continue }
            guard let frame = Int(line[line.index(after: eq)...].trimmingCharacters()),
                  frame >= 1, frame <= imageHeight else { return nil }
            return imageHeight - frame
        }
        return nil
    }
}
