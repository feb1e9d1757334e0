/// Why an image could not be read or written. Every case names the file and gives a human reason.
public enum ImageError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file cannot be opened or read (missing, permissions, a directory, I/O error).
    case unreadable(path: String, reason: String)
    /// The file has zero bytes.
    case empty(path: String)
    /// The data ends before the image does (premature end of JPEG/PNG/TIFF data).
    case truncated(path: String, reason: String)
    /// Malformed data: bad header, CRC error, broken compressed stream.
    case corrupt(path: String, reason: String)
    /// Not a TIFF/PNG/JPEG/BMP, or a layout of one that is not decoded (half-float TIFF, CMYK JPEG, RLE BMP, ...).
    case unsupported(path: String, reason: String)
    /// The header states a size above `DecodeLimits.maxPixels`; nothing was allocated.
    case tooLarge(path: String, width: Int, height: Int, limit: Int)
    /// The extension names another format than the content (only with `requireMatchingExtension`).
    case wrongExtension(path: String, claimed: ImageFormat, actual: ImageFormat)
    /// Writing an output file failed.
    case writeFailed(path: String, reason: String)
    /// The data handed to a writer is invalid (e.g. a label with no palette colour).
    case invalidInput(path: String, reason: String)

    public var path: String {
        switch self {
        case .unreadable(let p, _), .empty(let p), .truncated(let p, _), .corrupt(let p, _), .unsupported(let p, _),
             .tooLarge(let p, _, _, _), .wrongExtension(let p, _, _), .writeFailed(let p, _), .invalidInput(let p, _):
            return p
        }
    }

    /// Short machine-readable kind: "unreadable", "empty", "truncated", ...
    public var kind: String {
        switch self {
        case .unreadable: return "unreadable"
        case .empty: return "empty"
        case .truncated: return "truncated"
        case .corrupt: return "corrupt"
        case .unsupported: return "unsupported"
        case .tooLarge: return "too-large"
        case .wrongExtension: return "wrong-extension"
        case .writeFailed: return "write-failed"
        case .invalidInput: return "invalid-input"
        }
    }

    /// The reason without the path.
    public var reason: String {
        switch self {
        case .unreadable(_, let r), .truncated(_, let r), .corrupt(_, let r), .unsupported(_, let r),
             .writeFailed(_, let r), .invalidInput(_, let r):
            return r
        case .empty: return "file is empty (0 bytes)"
        case .tooLarge(_, let w, let h, let limit):
            return "image is \(w)×\(h) = \(w * h) pixels, above the limit of \(limit) pixels"
        case .wrongExtension(_, let claimed, let actual):
            return "extension says \(claimed.rawValue) but the content is \(actual.rawValue)"
        }
    }

    public var description: String { "\(path): \(kind): \(reason)" }
}
