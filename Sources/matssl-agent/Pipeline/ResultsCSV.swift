import Foundation
import MatSSLLite

/// Per-folder `results.csv`: one row per processed image in that folder, rebuilt from the journal
/// (never appended), written atomically. Units in column names. Class columns are the union of the
/// classes in the folder's rows.
enum ResultsCSV {
    static func render(rows: [JournalRow]) -> String {
        let decoded: [(JournalRow, ImageStats)] = rows.compactMap { row in
            guard row.status == .done, let s = row.summary?.data(using: .utf8),
                  let stats = try? JSONDecoder().decode(ImageStats.self, from: s) else { return nil }
            return (row, stats)
        }
        var classNames: [String] = []
        for (_, stats) in decoded { for c in stats.classes where !classNames.contains(c.name) { classNames.append(c.name) } }
        var header = ["file", "width_px", "height_px", "pixel_size_um", "pixel_size_source", "model", "model_version"]
        for name in classNames { header += ["\(name)_area_fraction", "\(name)_area_um2"] }
        header += ["processing_ms", "content_sha256"]
        var lines = [header.map(escape).joined(separator: ",")]
        for (row, s) in decoded {
            var fields = [s.file, "\(s.width)", "\(s.height)", s.pixelSizeUm.map { "\($0)" } ?? "", s.pixelSizeSource, s.modelName, s.modelVersion]
            for name in classNames {
                let c = s.classes.first { $0.name == name }
                fields.append(c.map { String(format: "%.6f", $0.areaFraction) } ?? "")
                fields.append(c?.areaUm2.map { String(format: "%.3f", $0) } ?? "")
            }
            fields.append(String(format: "%.1f", row.timings.totalMs))
            fields.append(s.contentSHA256)
            lines.append(fields.map(escape).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func escape(_ field: String) -> String {
        if field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return field
    }

    /// Rebuilds `<folder>/<outputFolder>/results.csv` from the journal (images that still exist).
    static func rebuild(folder: String, outputFolder: String, journal: Journal) throws {
        // Images deleted since they were processed drop out of the table.
        let rows = try journal.rows(folder: folder).filter { FileManager.default.fileExists(atPath: $0.path) }
        guard rows.contains(where: { $0.status == .done }) else { return }
        let dir = (folder as NSString).appendingPathComponent(outputFolder)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        OutputPaths.removeTemporaries(in: dir, prefix: ".results.csv.") // left by a killed run
        try AtomicFileWriter.write(text: render(rows: rows), to: (dir as NSString).appendingPathComponent("results.csv"))
    }
}
