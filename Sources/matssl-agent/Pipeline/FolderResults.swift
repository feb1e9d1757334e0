import Foundation
import MatSSLLite

/// The per-folder summaries in the folder's output folder (`OutputLayout`): `results.csv` (one row per image,
/// MatSSLLite `ResultsCSV`) and `index.html` (MatSSLLite `FolderReport` with the `SeriesAggregate`
/// mean, SD and 95 % CI over the fields). Both are rebuilt from scratch — never appended — from the
/// `X.stats.json` of every image the journal records as done in that folder and that still exists,
/// and written atomically (temp file, fsync, rename).
enum FolderResults {
    struct Options: Equatable {
        var layout: OutputLayout
        var writeCSV: Bool
        var writeHTML: Bool
        var separator: CSVSeparator
        var palette: [RGB8]

        init(config: AgentConfig, palette: [RGB8]) {
            layout = config.outputLayout
            writeCSV = config.writeResultsCSV
            writeHTML = config.htmlReport
            separator = config.csvSeparator
            self.palette = palette
        }
    }

    /// What a rebuild found.
    struct Report: Equatable {
        var images = 0
        /// Stats files that could not be read (named, with the reason); their images are left out.
        var problems: [String] = []
    }

    /// Rebuilds the summaries of `folder` (the folder holding the images).
    @discardableResult
    static func rebuild(folder: String, options: Options, journal: Journal) throws -> Report {
        guard options.writeCSV || options.writeHTML else { return Report() }
        // Images deleted since they were processed drop out of the tables.
        let rows = try journal.rows(folder: folder).filter { $0.status == .done && FileManager.default.fileExists(atPath: $0.path) }
        var report = Report()
        var entries: [(OutputPaths, ImageStatistics)] = []
        for row in rows {
            let outputs = OutputPaths(image: row.path, layout: options.layout)
            do { entries.append((outputs, try StatisticsFiles.readJSON(path: outputs.stats))) } catch {
                report.problems.append("\(error)")
            }
        }
        report.images = entries.count
        guard !entries.isEmpty else { return report }
        let dir = options.layout.directory(forImageFolder: folder)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let stats = entries.map(\.1)
        if options.writeCSV {
            OutputPaths.removeTemporaries(in: dir, prefix: ".results.csv.") // left by a killed run
            try StatisticsFiles.writeResultsCSV(stats, separator: options.separator, to: (dir as NSString).appendingPathComponent("results.csv"))
        }
        if options.writeHTML {
            OutputPaths.removeTemporaries(in: dir, prefix: ".index.html.")
            let fm = FileManager.default
            func relative(_ path: String) -> String? { fm.fileExists(atPath: path) ? (path as NSString).lastPathComponent : nil }
            let reportEntries = entries.map { outputs, s in
                FolderReport.Entry(statistics: s, thumbnailPath: relative(outputs.thumbnail), overlayPath: relative(outputs.overlay),
                                   maskPath: relative(outputs.mask), statsPath: relative(outputs.stats))
            }
            let html = FolderReport.renderHTML(title: "matssl-agent: \(folder)", entries: reportEntries,
                                               aggregate: SeriesAggregate(images: stats), palette: options.palette)
            try FolderReport.write(html, to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("index.html")))
        }
        return report
    }
}
