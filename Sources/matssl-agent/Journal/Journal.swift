import Foundation
import GRDB
import Watcher

/// The daemon's durable memory (SQLite via GRDB, WAL mode) in the state directory: one row per image
/// path with its identity (device, inode, size, mtime), content hash, status, model version, timings
/// and error; a `processings` table with one row per completed segmentation (so duplicates are
/// countable); a `meta` table (model in use, pid, backend). The `queued` rows are the work queue:
/// memory stays bounded however large the backlog, and a restart resumes it. `reprocess` (v2) marks
/// rows queued again on request (`matssl-agent reprocess`): the worker then recomputes them even when
/// content and model are unchanged, and their processings count as requested, not as duplicates.
final class Journal: @unchecked Sendable {
    let path: String
    private let db: DatabaseQueue

    /// Opens (creating if needed) the journal at `path`; `readOnly` for `matssl-agent status`.
    init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(5)
        if !readOnly {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
            }
        }
        db = try DatabaseQueue(path: path, configuration: configuration)
        if !readOnly { try Self.migrator.migrate(db) }
    }

    private static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE files (
                    path TEXT PRIMARY KEY NOT NULL,
                    folder TEXT NOT NULL,
                    device INTEGER NOT NULL, inode INTEGER NOT NULL, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    seq INTEGER NOT NULL DEFAULT 0,
                    content_hash TEXT,
                    last_outcome TEXT,
                    model_name TEXT, model_version TEXT,
                    queued_at REAL, started_at REAL, finished_at REAL,
                    hash_ms REAL, decode_ms REAL, segment_ms REAL, write_ms REAL,
                    error TEXT,
                    summary TEXT
                );
                CREATE INDEX files_queue ON files(status, seq);
                CREATE INDEX files_seq ON files(seq);
                CREATE INDEX files_folder ON files(folder);
                CREATE TABLE processings (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    path TEXT NOT NULL, content_hash TEXT NOT NULL, outcome TEXT NOT NULL,
                    model_version TEXT, finished_at REAL NOT NULL
                );
                CREATE INDEX processings_path ON processings(path, content_hash);
                CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
                """)
        }
        m.registerMigration("v2-reprocess") { db in
            try db.execute(sql: """
                ALTER TABLE files ADD COLUMN reprocess INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE processings ADD COLUMN requested INTEGER NOT NULL DEFAULT 0;
                """)
        }
        return m
    }

    func read<T>(_ body: (Database) throws -> T) throws -> T { try db.read(body) }

    private static func now() -> Double { Date().timeIntervalSince1970 }

    // MARK: - Admission (settle tracker)

    /// Records a stable file. Returns true when it was queued; false when the journal already knows
    /// exactly this identity in a final state, or it is already waiting in the queue.
    @discardableResult
    func admit(path: String, signature s: FileSignature) throws -> Bool {
        try db.write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT device, inode, size, mtime_ns, status FROM files WHERE path = ?", arguments: [path]) {
                let same = row["device"] as Int64 == Int64(bitPattern: s.device) && row["inode"] as Int64 == Int64(bitPattern: s.inode)
                    && row["size"] as Int64 == s.size && row["mtime_ns"] as Int64 == s.mtimeNanos
                let status = FileStatus(rawValue: row["status"] as String) ?? .queued
                if same && (status == .done || status == .failed || status == .queued || status == .processing) { return false }
            }
            let seq = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM files") ?? 1)
            try db.execute(sql: """
                INSERT INTO files (path, folder, device, inode, size, mtime_ns, status, seq, queued_at)
                VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)
                ON CONFLICT(path) DO UPDATE SET device = excluded.device, inode = excluded.inode, size = excluded.size,
                    mtime_ns = excluded.mtime_ns, status = 'queued', seq = excluded.seq, queued_at = excluded.queued_at, error = NULL
                """, arguments: [path, (path as NSString).deletingLastPathComponent, Int64(bitPattern: s.device), Int64(bitPattern: s.inode), s.size, s.mtimeNanos, seq, Self.now()])
            return true
        }
    }

    // MARK: - Worker

    /// After a crash or kill: whatever was being processed goes back to the queue.
    /// Returns the paths, so their half-written temporary outputs can be removed.
    func requeueInterrupted() throws -> [String] {
        try db.write { db in
            let paths = try String.fetchAll(db, sql: "SELECT path FROM files WHERE status = 'processing'")
            try db.execute(sql: "UPDATE files SET status = 'queued' WHERE status = 'processing'")
            return paths
        }
    }

    /// The oldest queued file, marked processing; nil when the queue is empty.
    func takeNext() throws -> QueuedFile? {
        try db.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT path, device, inode, size, mtime_ns, content_hash, last_outcome, model_version, reprocess
                FROM files WHERE status = 'queued' ORDER BY seq LIMIT 1
                """) else { return nil }
            let path: String = row["path"]
            try db.execute(sql: "UPDATE files SET status = 'processing', started_at = ? WHERE path = ?", arguments: [Self.now(), path])
            return QueuedFile(
                path: path,
                signature: FileSignature(device: UInt64(bitPattern: row["device"]), inode: UInt64(bitPattern: row["inode"]), size: row["size"], mtimeNanos: row["mtime_ns"]),
                previousHash: row["content_hash"], previousOutcome: (row["last_outcome"] as String?).flatMap(FileStatus.init(rawValue:)),
                previousModelVersion: row["model_version"], reprocess: (row["reprocess"] as Int64? ?? 0) != 0)
        }
    }

    /// Content already handled (e.g. `touch`, or the outputs of an interrupted run found complete):
    /// record the new identity and restore the outcome without reprocessing.
    func markUnchanged(path: String, signature s: FileSignature, hash: String, outcome: FileStatus) throws {
        try db.write { db in
            try db.execute(sql: """
                UPDATE files SET content_hash = ?, last_outcome = ?, finished_at = COALESCE(finished_at, ?), reprocess = 0 WHERE path = ?
                """, arguments: [hash, outcome.rawValue, Self.now(), path])
            try Self.settle(db, path: path, signature: s, status: outcome)
        }
    }

    /// Adopts outputs found complete on disk for this content (written before a kill, not yet journaled).
    func markRecovered(path: String, signature s: FileSignature, hash: String, modelName: String, modelVersion: String, summary: String?) throws {
        try db.write { db in
            try db.execute(sql: """
                UPDATE files SET content_hash = ?, last_outcome = 'done',
                    model_name = ?, model_version = ?, finished_at = ?, error = NULL, summary = COALESCE(?, summary)
                WHERE path = ?
                """, arguments: [hash, modelName, modelVersion, Self.now(), summary, path])
            try Self.settle(db, path: path, signature: s, status: .done)
        }
    }

    /// A completed segmentation: row done, plus one `processings` row (same transaction).
    func markDone(path: String, signature s: FileSignature, hash: String, modelName: String, modelVersion: String, timings t: StageTimings, summary: String) throws {
        try finish(path: path, signature: s, hash: hash, outcome: .done, modelName: modelName, modelVersion: modelVersion, timings: t, error: nil, summary: summary)
    }

    /// A failed file: row failed with the reason, plus one `processings` row.
    func markFailed(path: String, signature s: FileSignature, hash: String, modelName: String, modelVersion: String, timings t: StageTimings, error: String) throws {
        try finish(path: path, signature: s, hash: hash, outcome: .failed, modelName: modelName, modelVersion: modelVersion, timings: t, error: error, summary: nil)
    }

    private func finish(path: String, signature s: FileSignature, hash: String, outcome: FileStatus, modelName: String, modelVersion: String, timings t: StageTimings, error: String?, summary: String?) throws {
        let now = Self.now()
        try db.write { db in
            let requested = try Int.fetchOne(db, sql: "SELECT reprocess FROM files WHERE path = ?", arguments: [path]) ?? 0
            try db.execute(sql: """
                UPDATE files SET content_hash = ?, last_outcome = ?,
                    model_name = ?, model_version = ?, finished_at = ?, hash_ms = ?, decode_ms = ?, segment_ms = ?, write_ms = ?,
                    error = ?, summary = ?, reprocess = 0
                WHERE path = ?
                """, arguments: [hash, outcome.rawValue, modelName, modelVersion, now, t.hashMs, t.decodeMs, t.segmentMs, t.writeMs, error, summary, path])
            try Self.settle(db, path: path, signature: s, status: outcome)
            try db.execute(sql: "INSERT INTO processings (path, content_hash, outcome, model_version, finished_at, requested) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [path, hash, outcome.rawValue, modelVersion, now, requested])
        }
    }

    /// Sets the final status and the identity that was processed, unless the file was re-admitted
    /// (changed again) while the worker had it: then it stays queued with its newer identity.
    private static func settle(_ db: Database, path: String, signature s: FileSignature, status: FileStatus) throws {
        try db.execute(sql: """
            UPDATE files SET device = ?, inode = ?, size = ?, mtime_ns = ?, status = ? WHERE path = ? AND status = 'processing'
            """, arguments: [Int64(bitPattern: s.device), Int64(bitPattern: s.inode), s.size, s.mtimeNanos, status.rawValue, path])
    }

    /// The file vanished or changed under the worker; a new arrival re-admits it.
    func markSkipped(path: String, reason: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE files SET status = 'skipped', error = ? WHERE path = ? AND status = 'processing'", arguments: [reason, path])
        }
    }

    /// Puts a file the worker had back in the queue (SIGTERM before it was started).
    func requeue(path: String) throws {
        try db.write { db in
            try db.execute(sql: "UPDATE files SET status = 'queued' WHERE path = ? AND status = 'processing'", arguments: [path])
        }
    }

    // MARK: - Reprocessing on request

    /// Finished rows (done or failed) at or below any of `prefixes` (files or folders; all when
    /// empty), for `matssl-agent reprocess` to choose from.
    func finishedRows(under prefixes: [String]) throws -> [JournalRow] {
        let all = try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM files WHERE status IN ('done', 'failed') ORDER BY path").map(Self.row)
        }
        guard !prefixes.isEmpty else { return all }
        let normalized = prefixes.map { ($0 as NSString).standardizingPath }
        return all.filter { row in normalized.contains { row.path == $0 || row.path.hasPrefix($0 == "/" ? "/" : $0 + "/") } }
    }

    /// Queues finished `paths` again, marked for reprocessing (the worker recomputes them even when
    /// content and model are unchanged), after everything already queued. Returns how many were queued.
    @discardableResult
    func queueForReprocessing(_ paths: [String]) throws -> Int {
        try db.write { db in
            var next = (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) + 1 FROM files") ?? 1)
            var n = 0
            for path in paths {
                try db.execute(sql: """
                    UPDATE files SET status = 'queued', reprocess = 1, seq = ?, queued_at = ?
                    WHERE path = ? AND status IN ('done', 'failed')
                    """, arguments: [next, Self.now(), path])
                if db.changesCount > 0 { n += 1; next += 1 }
            }
            return n
        }
    }

    // MARK: - Reading

    /// Number of rows per status (every status present, zero where none).
    func counts() throws -> [FileStatus: Int] {
        try db.read { db in
            var out = Dictionary(uniqueKeysWithValues: FileStatus.allCases.map { ($0, 0) })
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM files GROUP BY status") {
                if let s = FileStatus(rawValue: row["status"]) { out[s] = row["n"] }
            }
            return out
        }
    }

    /// Images whose current result (done) came from each model ("name version"), most first.
    func doneByModel() throws -> [(model: String, count: Int)] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT COALESCE(model_name, '?') || ' ' || COALESCE(model_version, '?') AS m, COUNT(*) AS n
                FROM files WHERE status = 'done' GROUP BY m ORDER BY n DESC, m
                """).map { (model: $0["m"], count: $0["n"]) }
        }
    }

    /// Queue length (queued + processing).
    func queueLength() throws -> Int {
        try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM files WHERE status IN ('queued', 'processing')") ?? 0 }
    }

    /// Completed segmentations (done or failed) recorded for `path`, optionally for one content hash.
    func processingCount(path: String, hash: String? = nil) throws -> Int {
        try db.read { db in
            if let hash {
                return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM processings WHERE path = ? AND content_hash = ?", arguments: [path, hash]) ?? 0
            }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM processings WHERE path = ?", arguments: [path]) ?? 0
        }
    }

    /// (path, content_hash) pairs processed more than once without being asked to (`reprocess`):
    /// must always be empty.
    func duplicateProcessings() throws -> [(String, String, Int)] {
        try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT path, content_hash, COUNT(*) AS n FROM processings WHERE requested = 0 GROUP BY path, content_hash HAVING n > 1
                """)
                .map { ($0["path"], $0["content_hash"], $0["n"]) }
        }
    }

    func rows(folder: String) throws -> [JournalRow] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM files WHERE folder = ? ORDER BY path", arguments: [folder]).map(Self.row) }
    }

    func row(path: String) throws -> JournalRow? {
        try db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM files WHERE path = ?", arguments: [path]).map(Self.row) }
    }

    func lastErrors(limit: Int) throws -> [JournalRow] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM files WHERE status = 'failed' ORDER BY finished_at DESC LIMIT ?", arguments: [limit]).map(Self.row)
        }
    }

    private static func row(_ r: Row) -> JournalRow {
        JournalRow(
            path: r["path"], folder: r["folder"], status: FileStatus(rawValue: r["status"]) ?? .queued,
            contentHash: r["content_hash"], modelName: r["model_name"], modelVersion: r["model_version"],
            error: r["error"], finishedAt: r["finished_at"], summary: r["summary"],
            timings: StageTimings(hashMs: r["hash_ms"] ?? 0, decodeMs: r["decode_ms"] ?? 0, segmentMs: r["segment_ms"] ?? 0, writeMs: r["write_ms"] ?? 0))
    }

    // MARK: - Meta

    func setMeta(_ values: [String: String]) throws {
        try db.write { db in
            for (k, v) in values {
                try db.execute(sql: "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", arguments: [k, v])
            }
        }
    }

    func meta() throws -> [String: String] {
        try db.read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT key, value FROM meta").map { ($0["key"] as String, $0["value"] as String) })
        }
    }
}

extension Journal {
    /// Whether the journal already accounts for exactly this identity (finished, or waiting/working):
    /// the settle tracker then skips the file without waiting.
    func isKnown(path: String, signature s: FileSignature) -> Bool {
        (try? read { db in
            try Row.fetchOne(db, sql: "SELECT status FROM files WHERE path = ? AND device = ? AND inode = ? AND size = ? AND mtime_ns = ?",
                             arguments: [path, Int64(bitPattern: s.device), Int64(bitPattern: s.inode), s.size, s.mtimeNanos])
                .map { ($0["status"] as String) != FileStatus.skipped.rawValue } ?? false
        }) ?? false
    }
}
