import Foundation

/// Reading and atomically writing the statistics outputs of one image and of a folder.
/// Names follow DESIGN §5: `X.stats.json`, `X.objects.csv`, `results.csv`, `index.html`.
public enum StatisticsFiles {
    /// Writes `X.stats.json` atomically.
    public static func writeJSON(_ stats: ImageStatistics, to path: String) throws {
        try AtomicFileWriter.write(Array(try PhaseStatistics.jsonData(stats)), to: path)
    }

    /// Reads an `X.stats.json` (e.g. to rebuild `results.csv` for a whole folder).
    /// - Throws: `StatisticsError.unreadableStatistics` naming the file.
    public static func readJSON(path: String) throws -> ImageStatistics {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw StatisticsError.unreadableStatistics(path: path, reason: "cannot read: \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(ImageStatistics.self, from: data) } catch {
            throw StatisticsError.unreadableStatistics(path: path, reason: "\(error)")
        }
    }

    /// Writes `X.objects.csv` atomically.
    public static func writeObjectsCSV(_ objects: [ConnectedObject], classNames: [String], pixelSize: PixelSize?,
                                       separator: CSVSeparator = .comma, to path: String) throws {
        try AtomicFileWriter.write(text: ObjectsCSV.render(objects: objects, classNames: classNames,
                                                           pixelSize: pixelSize, separator: separator), to: path)
    }

    /// Writes `results.csv` atomically (one row per image, in the given order).
    public static func writeResultsCSV(_ rows: [ImageStatistics], separator: CSVSeparator = .comma,
                                       to path: String) throws {
        try AtomicFileWriter.write(text: ResultsCSV.render(rows: rows, separator: separator), to: path)
    }
}
