import ArgumentParser
import Foundation
import MatSSLLite
import QuantKernels

/// `matssl-agent bench-segment IMAGE...`: times the int8 network alone. The model is loaded and
/// each image decoded once, outside the clock; then `TiledSegmenter.segment` runs `--warmup` untimed
/// and `--runs` timed times per thread count (threads set with `qk_set_num_threads`). Prints one JSON
/// object (best / median / all ms per image and thread count, kernel tier, model) to stdout.
/// `--masks DIR` also writes each image's labels as raw bytes (`DIR/<name>.labels.u8`, row-major,
/// width × height, one class id per pixel) so other engines' masks can be compared with ours.
struct BenchSegmentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-segment",
        abstract: "Time int8 segmentation only (no decode, no output writing); print JSON.")

    @Argument(help: "Image files (TIFF, PNG, JPEG, BMP).") var images: [String]
    @Option(help: "Model file or name (default: the shipped 'metaldam').") var model: String?
    @Option(help: "Comma-separated thread counts to time.") var threads = "1"
    @Option(help: "Timed runs per image and thread count.") var runs = 5
    @Option(help: "Untimed warm-up runs per image and thread count.") var warmup = 1
    @Option(help: "Write each image's labels as raw bytes to DIR/<name>.labels.u8.") var masks: String?
    @Option(help: "Refuse images with more pixels than this.") var maxPixels = 268_435_456
    @Option(help: "Tile budget in pixels incl. halo (default: the model's) — trades memory for less halo overlap.")
    var tilePixelBudget: Int?
    @Option(help: "Test-time augmentation to time: none (the network once; default here), flips or d4.")
    var tta: TestTimeAugmentation = .none

    struct Timing: Encodable {
        var image: String, width: Int, height: Int, threads: Int, tiles: Int
        /// Pixels the network computes over all tiles (the excess over width × height is halo and padding).
        var networkPixels: Int
        var runs: Int, bestMs: Double, medianMs: Double, ms: [Double]
    }
    struct Report: Encodable {
        var model: String, modelVersion: String, tier: String, tilePixelBudget: Int, halo: Int, tta: String, results: [Timing]
    }

    func validate() throws {
        if let b = tilePixelBudget, b < 1 { throw ValidationError("--tile-pixel-budget must be positive") }
        guard runs >= 1, warmup >= 0 else { throw ValidationError("--runs must be ≥ 1 and --warmup ≥ 0") }
        guard !threadCounts.isEmpty, threadCounts.count == threads.split(separator: ",").count,
              threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be comma-separated positive integers, got '\(threads)'")
        }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let path = try ModelLocator.resolve(model)
        let quantized = try QuantizedModelFile.load(path: path)
        let segmenter = TiledSegmenter(model: quantized, tilePixelBudget: tilePixelBudget, augmentation: tta)
        if let dir = masks { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        var results: [Timing] = []
        for image in images {
            let (gray, _) = try ImageDecoder.decode(path: image, limits: DecodeLimits(maxPixels: maxPixels))
            let name = (image as NSString).lastPathComponent
            let plan = segmenter.plan(height: gray.height, width: gray.width)
            for t in threadCounts {
                qk_set_num_threads(Int32(t))
                var mask: LabelMask?
                for _ in 0..<warmup { mask = try segmenter.segment(gray) }
                var ms: [Double] = []
                for _ in 0..<runs {
                    let start = DispatchTime.now().uptimeNanoseconds
                    mask = try segmenter.segment(gray)
                    ms.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
                }
                if let dir = masks, let m = mask {
                    let url = URL(fileURLWithPath: dir).appendingPathComponent((name as NSString).deletingPathExtension + ".labels.u8")
                    try Data(m.labels).write(to: url, options: .atomic)
                }
                let sorted = ms.sorted()
                let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2]
                                                   : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
                results.append(Timing(image: name, width: gray.width, height: gray.height, threads: t, tiles: plan.tiles,
                                      networkPixels: plan.networkPixels,
                                      runs: runs, bestMs: sorted[0], medianMs: median, ms: ms))
            }
        }
        let report = Report(model: quantized.info.name, modelVersion: quantized.info.version,
                            tier: String(cString: qk_int8_tier_name(qk_int8_active_tier())),
                            tilePixelBudget: segmenter.tilePixelBudget, halo: segmenter.halo,
                            tta: tta.rawValue, results: results)
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        print(String(decoding: try enc.encode(report), as: UTF8.self))
    }
}
