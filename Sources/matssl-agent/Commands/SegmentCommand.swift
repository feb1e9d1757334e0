import ArgumentParser
import Foundation
import Logging
import MatSSLLite

/// `matssl-agent segment IMAGE...`: segments micrographs with the int8 model and writes, per image,
/// `X.mask.png`, `X.overlay.png` and `X.stats.json` (and `X.objects.csv` with --objects).
struct SegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segment",
        abstract: "Segment micrographs with an int8 model; write mask, overlay and phase statistics.")

    @Argument(help: "Image files (TIFF, PNG, JPEG, BMP).") var images: [String]
    @Option(help: "Model file or name (default: the shipped 'metaldam').") var model: String?
    @Option(help: "Output folder (default: a 'matssl' folder beside each image).") var out: String?
    @Option(help: "Compute threads.") var threads = 1
    @Option(help: "Pixel size in µm for images whose files carry none (never guessed otherwise).") var pixelSize: Double?
    @Option(help: "Rows of SEM data bar at the image bottom: not segmented (mask value 255, overlay left grey) and left out of the statistics.") var dataBarRows = 0
    @Option(help: "Classes (comma-separated names) that delineate grains: ASTM E112 grain size for them.") var grainClasses = ""
    @Flag(help: "Also write X.objects.csv (one row per connected object).") var objects = false
    @Flag(help: "Skip the overlay PNG.") var noOverlay = false
    @Option(help: "Refuse images with more pixels than this.") var maxPixels = 268_435_456
    @Option(help: IntensityPolicy.argumentHelp) var intensityRange: IntensityPolicy = .auto
    @Option(help: "Test-time augmentation: none, flips (logits summed over 4 flipped views) or d4 (8 views).")
    var tta: TestTimeAugmentation = AgentConfig.defaultTestTimeAugmentation
    @Option(help: ArgumentHelp("Largest tile computed at once, megapixels including the halo (default: the model's, 1.5).",
                               discussion: "More memory (≈ 32 bytes per tile pixel), less repeated halo work on images larger than one tile; the result does not change."))
    var tileMegapixels: Double?

    func validate() throws {
        guard dataBarRows >= 0 else { throw ValidationError("--data-bar-rows must be ≥ 0 (got \(dataBarRows))") }
        if let t = tileMegapixels, !(t > 0 && t.isFinite) { throw ValidationError("--tile-megapixels must be positive (got \(t))") }
    }

    func run() throws {
        let logger = Logger(label: "segment")
        HeapPolicy.boundForImageWork()
        let path = try ModelLocator.resolve(model)
        let segmenter = try ModelSegmenter(path: path, threads: threads, augmentation: tta,
                                           tilePixelBudget: tileMegapixels.map { Int(($0 * 1e6).rounded()) })
        logger.info("model \(segmenter.modelName) \(segmenter.modelVersion) from \(path), test-time augmentation \(tta.rawValue), tiles up to \(String(format: "%.2f", Double(segmenter.tilePixelBudget) / 1e6)) Mpx")
        let limits = DecodeLimits(maxPixels: maxPixels, intensity: intensityRange)
        let statistics = StatisticsOptions(grainBoundaryClasses: grainClasses.split(separator: ",").map(String.init),
                                           dataBarRows: dataBarRows)
        var failures = 0
        for image in images {
            defer { HeapPolicy.trim() }  // one image's buffers go back before the next
            do {
                let start = Date()
                let outputs = out.map { OutputPaths(image: image, directory: $0) } ?? OutputPaths(image: image, folderName: "matssl")
                let reader = try ImageDecoder.decodeRows(path: image, limits: limits)
                let info = reader.info
                // The data bar: from the file's metadata (FEI/Thermo), else --data-bar-rows.
                let bar = DataBarPolicy.resolve(info: info, configuredRows: dataBarRows).rows
                let mask = try DataBarSegmenter.wrap(segmenter, rows: bar).segment(reader: reader)
                let writer = ResultWriter(classNames: segmenter.classNames, palette: segmenter.palette,
                                          statistics: DataBarPolicy.statistics(statistics, info: info),
                                          writeOverlay: !noOverlay, writeObjects: objects)
                let segmented = Date()
                var second: ImageRowReader?
                let pixel = info.pixelSize ?? pixelSize.map { PixelSize(micrometresPerPixel: $0, source: .config) }
                let provenance = ImageProvenance(image: (image as NSString).lastPathComponent,
                                                 imageSHA256: (try? SHA256.hex(fileAt: image)) ?? "",
                                                 modelName: segmenter.modelName, modelVersion: segmenter.modelVersion,
                                                 timingsMs: ["segment": segmented.timeIntervalSince(start) * 1000],
                                                 testTimeAugmentation: tta.rawValue, intensityRange: info.intensityRange)
                let written = try writer.write(mask: mask, rows: { _, n in
                    if second == nil { second = try ImageDecoder.decodeRows(path: image, limits: limits.reusingIntensity(of: info)) }
                    return try second!.readRows(n)
                }, pixelSize: pixel, provenance: provenance, outputs: outputs)
                let fractions = written.statistics.classes.map { "\($0.className) " + String(format: "%.1f%%", $0.areaFraction * 100) }
                print("\(image): \(fractions.joined(separator: ", ")) → \(outputs.directory) "
                      + String(format: "(%.0f ms)", Date().timeIntervalSince(start) * 1000))
            } catch {
                failures += 1
                logger.error("\(image): \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}
