#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Checks a path before any codec sees it: exists, is a regular file, non-empty, magic bytes known.
enum ImageFile {
    /// The detected format, plus a note when the extension claims another format.
    static func probe(path: String, limits: DecodeLimits) throws -> (ImageFormat, String?) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ImageError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ImageError.unreadable(path: path, reason: "not a regular file") }
        guard st.st_size > 0 else { throw ImageError.empty(path: path) }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var magic = [UInt8](repeating: 0, count: 16)
        let n = magic.withUnsafeMutableBytes { read(fd, $0.baseAddress, 16) }
        guard n >= 0 else { throw ImageError.unreadable(path: path, reason: String(cString: strerror(errno))) }
        magic.removeLast(16 - n)
        let claimed = ImageFormat.claimed(byPath: path)
        guard let actual = ImageFormat.detect(magic: magic) else {
            let start = magic.prefix(8).map { b in (0x20..<0x7F).contains(b) ? String(UnicodeScalar(b)) : "." }.joined()
            let named = claimed.map { " although its name ends in .\($0.rawValue == "tiff" ? "tif" : $0.rawValue)" } ?? ""
            throw ImageError.unsupported(path: path, reason: "content is not TIFF, PNG, JPEG or BMP\(named) (starts with \"\(start)\")")
        }
        if let claimed, claimed != actual {
            if limits.requireMatchingExtension { throw ImageError.wrongExtension(path: path, claimed: claimed, actual: actual) }
            let ext = path[path.index(after: path.lastIndex(of: ".")!)...]
            return (actual, "extension .\(ext) but content is \(actual.rawValue.uppercased()); decoded as \(actual.rawValue.uppercased())")
        }
        return (actual, nil)
    }
}
