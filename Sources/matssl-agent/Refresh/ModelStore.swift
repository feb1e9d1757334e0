import Foundation
import Glibc
import MatSSLLite

/// Errors of the model store, naming the directory or file and the reason.
struct ModelStoreError: Error, CustomStringConvertible {
    var path: String
    var reason: String
    var description: String { "model store \(path): \(reason)" }
}

/// The versioned models of one name under `<state>/models/<name>/` (what `ModelLocator` reads):
///
///     <version>.int8.safetensors   the int8 model file the daemon runs
///     <version>.fp32.safetensors   its fp32 checkpoint (refresh continues from it)
///     <version>.json               optional: the refresh report that promoted it
///     current -> <version>.int8.safetensors   (relative symlink)
///
/// Every file is written to a hidden temp name, fsynced and renamed; `current` is replaced by
/// creating a new symlink under a temp name and renaming it over the old one (rename(2) is atomic),
/// then fsyncing the directory. A kill at any moment leaves `current` pointing at a complete model
/// (the old one or the new one); leftover temp names are removed by the next operation.
struct ModelStore {
    let directory: String
    static let int8Suffix = ".int8.safetensors"
    static let fp32Suffix = ".fp32.safetensors"
    var currentLink: String { path("current") }

    func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
    func int8Path(_ version: String) -> String { path(version + Self.int8Suffix) }
    func fp32Path(_ version: String) -> String { path(version + Self.fp32Suffix) }
    func reportPath(_ version: String) -> String { path(version + ".json") }

    /// Versions present (those with an int8 file), oldest first: by the time the version entered the
    /// store (its int8 file's mtime; the store writes that file itself), then by name.
    func versions() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(Self.int8Suffix) && !$0.hasPrefix(".") }
            .map { name -> (String, Double) in
                let m = (try? FileManager.default.attributesOfItem(atPath: path(name))[.modificationDate] as? Date)??.timeIntervalSince1970 ?? 0
                return (String(name.dropLast(Self.int8Suffix.count)), m)
            }
            .sorted { ($0.1, $0.0) < ($1.1, $1.0) }.map(\.0)
    }

    /// The version `current` points at (nil when there is no link yet).
    func currentVersion() -> String? {
        guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: currentLink) else { return nil }
        let name = (target as NSString).lastPathComponent
        return name.hasSuffix(Self.int8Suffix) ? String(name.dropLast(Self.int8Suffix.count)) : nil
    }

    static func isValidVersion(_ v: String) -> Bool {
        !v.isEmpty && v != "current" && !v.hasPrefix(".") && v.allSatisfy { $0.isLetter || $0.isNumber || "-_.".contains($0) }
    }

    /// Adds a version: copies (durably) the int8 model and its fp32 checkpoint, and the report if any.
    /// Does not change `current`.
    func add(version: String, int8 int8Source: String, fp32 fp32Source: String?, report: Data? = nil) throws {
        guard Self.isValidVersion(version) else { throw ModelStoreError(path: directory, reason: "invalid version name '\(version)'") }
        guard !FileManager.default.fileExists(atPath: int8Path(version)) else {
            throw ModelStoreError(path: int8Path(version), reason: "version \(version) already exists")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        removeTemporaries()
        // fp32 first, int8 last: a version is "present" only once its int8 file exists.
        if let fp32Source { try Self.durableCopy(fp32Source, to: fp32Path(version)) }
        if let report { try AtomicFileWriter.write([UInt8](report), to: reportPath(version)) }
        try Self.durableCopy(int8Source, to: int8Path(version))
    }

    /// Points `current` at `version` atomically.
    func setCurrent(_ version: String) throws {
        let target = version + Self.int8Suffix
        guard FileManager.default.fileExists(atPath: path(target)) else {
            throw ModelStoreError(path: path(target), reason: "no such model version")
        }
        removeTemporaries()
        let tmp = path(".current.tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        guard symlink(target, tmp) == 0 else { throw ModelStoreError(path: tmp, reason: "symlink: \(String(cString: strerror(errno)))") }
        guard rename(tmp, currentLink) == 0 else {
            let e = String(cString: strerror(errno)); unlink(tmp)
            throw ModelStoreError(path: currentLink, reason: "rename: \(e)")
        }
        Self.fsyncDirectory(directory)
    }

    /// Adds a version and makes it current, then keeps the newest `keep` versions (never deleting
    /// the current one).
    func promote(version: String, int8: String, fp32: String?, report: Data?, keep: Int) throws -> [String] {
        try add(version: version, int8: int8, fp32: fp32, report: report)
        try setCurrent(version)
        return try prune(keep: keep)
    }

    /// Deletes the oldest versions beyond `keep` (the current version always stays). Returns those removed.
    @discardableResult
    func prune(keep: Int) throws -> [String] {
        let all = versions()
        guard all.count > keep else { return [] }
        let current = currentVersion()
        var removed: [String] = []
        var excess = all.count - max(keep, 1)
        for v in all where excess > 0 && v != current {
            // int8 first: the version disappears from the list before its checkpoint goes.
            for p in [int8Path(v), fp32Path(v), reportPath(v)] { unlink(p) }
            removed.append(v); excess -= 1
        }
        Self.fsyncDirectory(directory)
        return removed
    }

    /// Makes `version` (default: the newest version older than the current one) current.
    func rollback(to version: String? = nil) throws -> String {
        let all = versions()
        let target: String
        if let version {
            guard all.contains(version) else {
                throw ModelStoreError(path: directory, reason: "no version \(version) (have: \(all.joined(separator: ", ")))")
            }
            target = version
        } else {
            guard let cur = currentVersion(), let i = all.firstIndex(of: cur) else {
                throw ModelStoreError(path: directory, reason: "no current model to roll back from")
            }
            guard i > 0 else { throw ModelStoreError(path: directory, reason: "\(cur) is the oldest version kept; nothing to roll back to") }
            target = all[i - 1]
        }
        try setCurrent(target)
        return target
    }

    /// Removes temp files left by an interrupted operation.
    func removeTemporaries() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for n in names where n.hasPrefix(".") && n.contains(".tmp-") { unlink(path(n)) }
    }

    /// Copies a file to `destination` via a temp name, fsync and rename.
    static func durableCopy(_ source: String, to destination: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw ModelStoreError(path: source, reason: "cannot read")
        }
        try AtomicFileWriter.write([UInt8](data), to: destination)
    }

    static func fsyncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
