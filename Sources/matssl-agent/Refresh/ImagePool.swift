import Foundation
import GRDB

/// The unlabeled pool for SSL: images the daemon has processed, read from its journal (opened
/// read-only; the daemon may be running). Sampling covers time and folders: images are grouped by
/// folder, each folder's images are taken evenly spaced over their processing times, and folders
/// share the cap round-robin, so one busy folder or one busy week cannot fill the pool.
enum ImagePool {
    struct Entry: Equatable, Sendable {
        var path: String
        var folder: String
        var finishedAt: Double
    }

    /// Every successfully processed image still on disk, oldest first.
    static func processedImages(journalPath: String) throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: journalPath) else { return [] }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(5)
        let db = try DatabaseQueue(path: journalPath, configuration: configuration)
        let rows = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT path, folder, finished_at FROM files
                WHERE last_outcome = 'done' AND finished_at IS NOT NULL ORDER BY finished_at, path
                """)
        }
        return rows.map { Entry(path: $0["path"], folder: $0["folder"], finishedAt: $0["finished_at"]) }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// At most `cap` entries covering folders (round-robin) and time (evenly spaced within a folder).
    static func sample(_ entries: [Entry], cap: Int) -> [Entry] {
        guard entries.count > cap else { return entries }
        var byFolder: [String: [Entry]] = [:]
        for e in entries { byFolder[e.folder, default: []].append(e) }
        let folders = byFolder.keys.sorted()
        // Quotas: round-robin one at a time until the cap is used or every folder is exhausted.
        var quota = Dictionary(uniqueKeysWithValues: folders.map { ($0, 0) })
        var left = cap
        while left > 0 {
            var progressed = false
            for f in folders where left > 0 && quota[f]! < byFolder[f]!.count {
                quota[f]! += 1; left -= 1; progressed = true
            }
            if !progressed { break }
        }
        var out: [Entry] = []
        for f in folders {
            let list = byFolder[f]!.sorted { $0.finishedAt < $1.finishedAt }
            let q = quota[f]!
            // Evenly spaced over time: the middle of each of q equal slices.
            let n = list.count
            out += (0..<q).map { list[min((2 * $0 * n + n) / (2 * q), n - 1)] }
        }
        return out.sorted { ($0.finishedAt, $0.path) < ($1.finishedAt, $1.path) }
    }

    /// Copies the pool into `dir` (when the config asks for it; image names get a numeric prefix so
    /// two folders' `a.tif` do not collide). Returns the copied paths.
    static func copy(_ entries: [Entry], into dir: String) throws -> [String] {
        let fm = FileManager.default
        try? fm.removeItem(atPath: dir)
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try entries.enumerated().map { i, e in
            let dest = (dir as NSString).appendingPathComponent(String(format: "%05d-", i) + (e.path as NSString).lastPathComponent)
            try fm.copyItem(atPath: e.path, toPath: dest)
            return dest
        }
    }
}
