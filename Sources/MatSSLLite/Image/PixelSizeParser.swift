/// Reads pixel sizes out of microscope metadata and resolution tags. Never guesses: anything that
/// does not parse to a positive finite length gives nil.
public enum PixelSizeParser {
    /// FEI/Thermo tag 34682 INI text: section `[Scan]`, key `PixelWidth` (metres) → µm.
    public static func fei(_ text: String) -> Double? {
        iniValue(text, section: "scan", key: "pixelwidth").flatMap { scaled($0, decimalExponent: 6) }
    }

    /// The value of the first `key=value` line inside `[section]` of INI text (FEI/Thermo metadata),
    /// trimmed; section and key compared case-insensitively (pass them lowercased).
    static func iniValue(_ text: String, section: String, key: String) -> String? {
        var inSection = false
        for raw in text.split(omittingEmptySubsequences: true, whereSeparator: { $0.isNewline }) {
            let line = raw.trimmingCharacters()
            if line.hasPrefix("[") {
                inSection = line.lowercased() == "[\(section)]"
                continue
            }
            guard inSection, let eq = line.firstIndex(of: "="),
                  line[..<eq].trimmingCharacters().lowercased() == key else { continue }
            return line[line.index(after: eq)...].trimmingCharacters()
        }
        return nil
    }

    /// Zeiss tag 34118 text: the line `Image Pixel Size = <value> <unit>` (after `AP_IMAGE_PIXEL_SIZE`)
    /// with unit pm, nm, µm/um, mm or m → µm.
    public static func zeiss(_ text: String) -> Double? {
        let lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0.isNewline })
        for raw in lines {
            let line = raw.trimmingCharacters()
            guard line.lowercased().hasPrefix("image pixel size"), let eq = line.firstIndex(of: "=") else { continue }
            return lengthInMicrometres(String(line[line.index(after: eq)...]))
        }
        return nil
    }

    /// "2.5 nm" → 0.0025. Unit required.
    public static func lengthInMicrometres(_ s: String) -> Double? {
        let t = s.trimmingCharacters()
        var numberEnd = t.startIndex
        for i in t.indices {
            let c = t[i]
            if c.isNumber || c == "." || c == "-" || c == "+" || c == "e" || c == "E" { numberEnd = t.index(after: i) } else { break }
        }
        // Back off a trailing 'e'/'E' that belongs to no exponent.
        var numText = String(t[..<numberEnd])
        while let last = numText.last, last == "e" || last == "E" { numText.removeLast() }
        let unit = t[t.index(t.startIndex, offsetBy: numText.count)...].trimmingCharacters()
        let exponent: Int
        switch unit {
        case "pm": exponent = -6
        case "nm": exponent = -3
        case "µm", "μm", "um", "micron", "microns": exponent = 0
        case "mm": exponent = 3
        case "m": exponent = 6
        default: return nil
        }
        return scaled(numText, decimalExponent: exponent)
    }

    /// The decimal `number` × 10^decimalExponent, shifted in the text so that the result is the
    /// correctly rounded double (5e-08 m → 0.05 µm exactly as printed, not 0.049999999999999996).
    static func scaled(_ number: String, decimalExponent: Int) -> Double? {
        guard Double(number) != nil else { return nil }
        var mantissa = Substring(number), exp = 0
        if let e = number.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            mantissa = number[..<e]
            guard let x = Int(number[number.index(after: e)...]) else { return nil }
            exp = x
        }
        return Double("\(mantissa)e\(exp + decimalExponent)").flatMap(positive)
    }

    /// Pixels per unit → µm per pixel. `unit`: "inch", "cm", "metre".
    public static func fromResolution(pixelsPerUnit: Double, micrometresPerUnit: Double) -> Double? {
        guard pixelsPerUnit > 0, pixelsPerUnit.isFinite else { return nil }
        return positive(micrometresPerUnit / pixelsPerUnit)
    }

    private static func positive(_ v: Double) -> Double? { v.isFinite && v > 0 ? v : nil }
}

extension StringProtocol {
    /// Trims spaces, tabs and NULs (no Foundation needed).
    func trimmingCharacters() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\0" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
