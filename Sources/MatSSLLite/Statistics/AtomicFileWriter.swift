import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file atomically: a temp file in the same directory, fsync, rename over the target,
/// fsync of the directory. Readers see the old or the new file, never a partial one.
public enum AtomicFileWriter {
    public enum WriteError: Error, CustomStringConvertible {
        case io(path: String, reason: String)
        public var description: String {
            switch self { case let .io(p, r): return "\(p): \(r)" }
        }
    }

    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent().path
        let tmp = dir + "/." + url.lastPathComponent + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError.io(path: tmp, reason: String(cString: strerror(errno))) }
        var ok = false
        defer { if !ok { unlink(tmp) } }
        let written: Int = data.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Glibc.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0 { if errno == EINTR { continue }; return -1 }
                off += n
            }
            return off
        }
        let err = written < 0 ? String(cString: strerror(errno)) : nil
        let syncOK = fsync(fd) == 0
        close(fd)
        if let err { throw WriteError.io(path: tmp, reason: err) }
        guard syncOK else { throw WriteError.io(path: tmp, reason: "fsync failed") }
        guard rename(tmp, url.path) == 0 else {
            throw WriteError.io(path: url.path, reason: String(cString: strerror(errno)))
        }
        ok = true
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 { _ = fsync(dfd); close(dfd) }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
