import Foundation

/// CSV dialect: `,` separator with `.` decimals, or `;` with `,` decimals (European Excel).
/// Fields containing the separator, a quote, CR or LF are quoted (RFC 4180), quotes doubled;
/// lines end with CRLF as RFC 4180 and Excel expect.
public enum CSVSeparator: String, Codable, Sendable {
    case comma = ","
    case semicolon = ";"

    public var decimalMark: Character { self == .comma ? "." : "," }
}

/// One CSV cell before formatting.
public enum CSVCell: Equatable, Sendable {
    case empty
    case text(String)
    case integer(Int)
    case number(Double)
}

public enum CSVFormat {
    /// Formats a number with up to 6 significant digits (integral values exactly up to 1e15),
    /// never in exponent form for |v| ≥ 1e-4; NaN/∞ become empty cells.
    public static func formatNumber(_ v: Double, decimalMark: Character = ".") -> String {
        guard v.isFinite else { return "" }
        var s: String
        if v == v.rounded() && abs(v) < 1e15 {
            s = String(format: "%.0f", v)
        } else if abs(v) < 1e-4 {
            s = String(format: "%.5e", v)
        } else {
            let digits = max(0, 5 - Int(floor(log10(abs(v)))))
            s = String(format: "%.\(digits)f", v)
            if s.contains(".") {
                while s.hasSuffix("0") { s.removeLast() }
                if s.hasSuffix(".") { s.removeLast() }
            }
        }
        if s == "-0" { s = "0" }
        return decimalMark == "." ? s : s.replacingOccurrences(of: ".", with: String(decimalMark))
    }

    public static func field(_ cell: CSVCell, separator: CSVSeparator) -> String {
        switch cell {
        case .empty: return ""
        case .integer(let i): return String(i)
        case .number(let d): return quoteIfNeeded(formatNumber(d, decimalMark: separator.decimalMark), separator)
        case .text(let t): return quoteIfNeeded(t, separator)
        }
    }

    public static func quoteIfNeeded(_ s: String, _ separator: CSVSeparator) -> String {
        let sep = Character(separator.rawValue)
        if s.contains(where: { $0 == sep || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    /// Renders a header and rows.
    public static func render(header: [String], rows: [[CSVCell]], separator: CSVSeparator) -> String {
        var out = header.map { quoteIfNeeded($0, separator) }.joined(separator: separator.rawValue) + "\r\n"
        for r in rows {
            out += r.map { field($0, separator: separator) }.joined(separator: separator.rawValue) + "\r\n"
        }
        return out
    }

    /// Column-name fragment for a class name: lowercase ASCII letters, digits and `_`; accents are
    /// dropped first ("Widmanstätten cementite" → `widmanstatten_cementite`).
    public static func columnSlug(_ name: String) -> String {
        var s = ""
        for ch in name.folding(options: .diacriticInsensitive, locale: nil).lowercased().unicodeScalars {
            if (ch >= "a" && ch <= "z") || (ch >= "0" && ch <= "9") { s.unicodeScalars.append(ch) }
            else if !s.hasSuffix("_") { s += "_" }
        }
        while s.hasSuffix("_") { s.removeLast() }
        while s.hasPrefix("_") { s.removeFirst() }
        return s.isEmpty ? "class" : s
    }
}
