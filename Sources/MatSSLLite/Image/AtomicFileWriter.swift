#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Durable, atomic file replacement: write a temp file in the destination's directory, fsync it,
/// rename it over the destination, fsync the directory. Readers see the old file or the new one,
/// never a partial one. Temp names are `.<name>.tmp-<pid>-<random>` (hidden: watchers should skip
/// dot-files).
public enum AtomicFileWriter {
    /// Calls `body` with a temp path to write to, then makes it durable and renames it to `path`.
    /// On any error the temp file is removed and the destination is untouched.
    public static func write(to path: String, _ body: (String) throws -> Void) throws {
        let (dir, name) = split(path)
        let tmp = "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try body(tmp)
            try fsyncPath(tmp, path: path)
            guard rename(tmp, path) == 0 else { throw ImageError.writeFailed(path: path, reason: "rename: \(errnoText())") }
        } catch {
            unlink(tmp)
            throw error
        }
        try? fsyncPath(dir, path: path) // directory entry durability; failure here leaves a valid file
    }

    /// Writes `bytes` atomically to `path` (mode 0644).
    public static func write(_ bytes: [UInt8], to path: String) throws {
        try write(to: path) { tmp in
            let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw ImageError.writeFailed(path: path, reason: "create: \(errnoText())") }
            defer { close(fd) }
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ImageError.writeFailed(path: path, reason: "write: \(errnoText())")
                }
                offset += n
            }
        }
    }

    /// Atomically writes UTF-8 text.
    public static func write(text: String, to path: String) throws { try write(Array(text.utf8), to: path) }

    private static func split(_ path: String) -> (String, String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    private static func fsyncPath(_ p: String, path: String) throws {
        let fd = open(p, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ImageError.writeFailed(path: path, reason: "open for fsync: \(errnoText())") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ImageError.writeFailed(path: path, reason: "fsync: \(errnoText())") }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
