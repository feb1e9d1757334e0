import Foundation

/// Where the outputs of one image go: `<output folder>/<file name>.{mask.png,overlay.png,thumb.png,stats.json,objects.csv,error.json}`,
/// the output folder being `<image folder>/<folder>/` or its place in the `output.root` mirror
/// (`OutputLayout`). The full file name (with extension) is kept so `a.tif` and `a.jpg` in one
/// folder do not overwrite each other's outputs.
struct OutputPaths: Equatable {
    let image: String
    let directory: String

    init(image: String, folderName: String) {
        self.init(image: image, layout: OutputLayout(folderName: folderName))
    }

    init(image: String, layout: OutputLayout) {
        self.image = image
        directory = layout.directory(forImageFolder: (image as NSString).deletingLastPathComponent)
    }

    /// Outputs in an explicit folder (`matssl-agent segment --out DIR`).
    init(image: String, directory: String) {
        self.image = image
        self.directory = directory
    }

    var baseName: String { (image as NSString).lastPathComponent }
    var mask: String { path("mask.png") }
    var overlay: String { path("overlay.png") }
    var stats: String { path("stats.json") }
    var error: String { path("error.json") }
    var objects: String { path("objects.csv") }
    /// Small overlay preview for `index.html`.
    var thumbnail: String { path("thumb.png") }
    /// Every per-image output (for removal when the image fails).
    var allImageOutputs: [String] { [mask, overlay, stats, objects, thumbnail] }
    /// The folder's `results.csv`.
    var resultsCSV: String { (directory as NSString).appendingPathComponent("results.csv") }
    /// The folder's `index.html`.
    var indexHTML: String { (directory as NSString).appendingPathComponent("index.html") }

    private func path(_ suffix: String) -> String {
        (directory as NSString).appendingPathComponent("\(baseName).\(suffix)")
    }

    func createDirectory() throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Removes temporary files a killed run left for this image's outputs (`.<name>.<kind>.tmp-*`).
    func removeStaleTemporaries() {
        Self.removeTemporaries(in: directory, prefix: ".\(baseName).")
    }

    /// Removes `<prefix>*.tmp-*` files in `directory` (hidden temp files of atomic writes).
    static func removeTemporaries(in directory: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where name.hasPrefix(prefix) && name.contains(".tmp-") {
            unlink((directory as NSString).appendingPathComponent(name))
        }
    }

    /// Removes outputs that a new result makes stale (missing files are fine).
    func remove(_ paths: [String]) {
        for p in paths { unlink(p) }
    }
}
