import Foundation
import Glibc

/// Durable file replacement: write to a hidden temp file in the same directory, fsync it, rename it
/// over the target, fsync the directory. Readers see the old file or the new one, never a torn one;
/// a crash leaves at most a `.<name>.tmp-<pid>` file behind (hidden: the watcher ignores it).
enum AtomicFile {
    /// The temp path used for `target`.
    static func temporaryPath(for target: String) -> String {
        let dir = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        return (dir as NSString).appendingPathComponent(".\(name).tmp-\(getpid())")
    }

    /// Atomically replaces `target` with `data`.
    static func write(_ data: Data, to target: String) throws {
        try write(to: target) { temp in
            guard FileManager.default.createFile(atPath: temp, contents: data) else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temp, NSLocalizedDescriptionKey: "cannot create '\(temp)': \(String(cString: strerror(errno)))"])
            }
        }
    }

    /// Atomically replaces `target` with whatever `produce` writes to the temp path it is given.
    static func write(to target: String, produce: (String) throws -> Void) throws {
        let temp = temporaryPath(for: target)
        do {
            try produce(temp)
            try fsyncPath(temp)
            guard rename(temp, target) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "rename '\(temp)' → '\(target)': \(String(cString: strerror(errno)))"])
            }
        } catch {
            unlink(temp)
            throw error
        }
        try fsyncPath((target as NSString).deletingLastPathComponent)
    }

    /// fsync(2) of a file or directory by path.
    static func fsyncPath(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "open '\(path)' for fsync: \(String(cString: strerror(errno)))"])
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "fsync '\(path)': \(String(cString: strerror(errno)))"])
        }
    }
}
