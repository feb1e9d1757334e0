import ArgumentParser
import Foundation
import Logging
import MatSSLLite
import QuantKernels

/// `matssl-agent evaluate`: per-class IoU of a fine-tuned fp32 checkpoint (whole-image inference) or
/// of an int8 model file (tiled int8 inference, as deployed) against masks.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "evaluate",
        abstract: "Per-class IoU, mIoU and pixel accuracy of a checkpoint on labeled images.")

    @Option(help: "Fine-tuned fp32 checkpoint or int8 model file.") var model: String
    @Option(help: "With an int8 model: the fp32 checkpoint to measure pixel agreement against.") var compare: String?
    @Option(name: .customLong("ensemble-with"),
            help: "With an int8 model: another int8 model whose logits are summed with it (repeatable; an ensemble).")
    var ensembleWith: [String] = []
    @Option(help: "Directory of images.") var images: String
    @Option(help: "Directory of masks (X.png).") var masks: String
    @Option(help: "Only the images listed in this file.") var list: String?
    @Option(help: "Threads.") var threads: Int = 2
    @Option(help: "Test-time augmentation: none, flips (logits summed over 4 flipped views) or d4 (8 views).")
    var tta: TestTimeAugmentation = .none
    @Flag(help: "Print JSON.") var json = false
    @OptionGroup var dataBar: DataBarOption
    @OptionGroup var intensity: IntensityRangeOption

    static func summary(_ m: SegmentationMetrics, names: [String]) -> String {
        let per = m.iou.enumerated().map { "\(names[$0.offset])=\($0.element.map { String(format: "%.3f", $0) } ?? "n/a")" }
        var s = String(format: "mIoU %.4f", m.meanIoU())
        if let p = m.paperMeanIoU { s += String(format: " (paper 4-class %.4f)", p) }
        return s + String(format: ", pixel acc %.4f; ", m.pixelAccuracy) + per.joined(separator: " ")
    }

    func run() throws {
        let logger = Logger(label: "evaluate")
        qk_blas_set_threads(Int32(max(threads, 1)))  // batch 1: threaded GEMMs, serial C kernels
        let include = try list.map { try DatasetLoader.readList($0) }
        let imgs = try DatasetLoader.loadLabeled(imageDir: images, maskDir: masks, include: include, dataBarRows: dataBar.dataBarRows, limits: intensity.limits) { logger.notice("\($0)") }
        let start = Date()
        let m: SegmentationMetrics
        let names: [String]
        var agreement: Double?
        var fp32Metrics: SegmentationMetrics?  // the --compare network's, on the same images
        var fractionMAE: [Double]?
        var imageFractions: [Int8Evaluator.ImageFractions] = []
        let isInt8 = (try? SafeTensors.read(path: model))?.metadata["format"] == QuantizedModelFile.formatVersion
        if isInt8 {
            qk_set_num_threads(Int32(max(threads, 1)))
            let q = try QuantizedModelFile.load(path: model)
            let fp = try compare.map { try Checkpoint.loadSegmentationNet(path: $0) }
            // The int8 model's class-weight correction, if any, is part of the network it came from.
            if let fp { try q.info.provenance.logitAdjustment?.apply(to: fp) }
            let others = try ensembleWith.map { try QuantizedModelFile.load(path: $0) }
            let r = try Int8Evaluator.evaluate(q, images: imgs, fp32: fp, augmentation: tta, ensemble: others)
            m = r.metrics
            agreement = r.agreement
            fp32Metrics = r.fp32Metrics
            fractionMAE = r.phaseFractionMAE
            imageFractions = r.imageFractions
            names = q.classNames
        } else {
            guard ensembleWith.isEmpty else { throw ValidationError("--ensemble-with needs an int8 --model") }
            let net = try Checkpoint.loadSegmentationNet(path: model)
            m = try Segmenter.evaluate(net, images: imgs, augmentation: tta)
            names = net.config.classNames
        }
        let dt = Date().timeIntervalSince(start)
        if json {
            var obj: [String: Any] = ["images": imgs.count, "mIoU": m.meanIoU(), "pixelAccuracy": m.pixelAccuracy,
                                      "perClassIoU": Dictionary(uniqueKeysWithValues: zip(names, m.iou.map { $0 as Any? ?? NSNull() })),
                                      "confusion": m.confusion, "seconds": dt]
            if let p = m.paperMeanIoU { obj["mIoUPaper"] = p }
            obj["precision"] = isInt8 ? "int8" : "fp32"
            obj["tta"] = tta.rawValue
            if !ensembleWith.isEmpty { obj["ensembleWith"] = ensembleWith }
            if let a = agreement { obj["int8Fp32Agreement"] = a }
            if let f = fp32Metrics {
                obj["fp32MIoU"] = f.meanIoU()
                if let p = f.paperMeanIoU { obj["fp32MIoUPaper"] = p }
                obj["fp32PerClassIoU"] = Dictionary(uniqueKeysWithValues: zip(names, f.iou.map { $0 as Any? ?? NSNull() }))
            }
            if let f = fractionMAE {
                obj["phaseFractionMAE"] = Dictionary(uniqueKeysWithValues: zip(names, f))
                obj["phaseFractionMAEMean"] = f.reduce(0, +) / Double(max(f.count, 1))
                obj["phaseFractionsPerImage"] = imageFractions.map { i -> [String: Any] in
                    ["image": i.name, "predicted": Dictionary(uniqueKeysWithValues: zip(names, i.predicted)),
                     "truth": Dictionary(uniqueKeysWithValues: zip(names, i.truth))]
                }
            }
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print("\(imgs.count) images (\(String(format: "%.1f", dt)) s, test-time augmentation: \(tta.rawValue))")
            for (k, v) in m.iou.enumerated() { print("  \(names[k]): IoU \(v.map { String(format: "%.4f", $0) } ?? "n/a")") }
            print(String(format: "mIoU (all classes) %.4f", m.meanIoU()))
            if let p = m.paperMeanIoU { print(String(format: "mIoU (paper, classes 0,1,2,4) %.4f", p)) }
            print(String(format: "pixel accuracy %.4f", m.pixelAccuracy))
            if let a = agreement { print(String(format: "int8/fp32 pixel agreement %.4f", a)) }
            if let f = fp32Metrics {
                let per = f.iou.enumerated().map { "\(names[$0.offset]) " + ($0.element.map { String(format: "%.4f", $0) } ?? "n/a") }
                print(String(format: "fp32 (--compare): mIoU (all classes) %.4f", f.meanIoU())
                      + (f.paperMeanIoU.map { String(format: ", paper %.4f", $0) } ?? "") + "; IoU " + per.joined(separator: ", "))
            }
            if let f = fractionMAE {
                let per = zip(names, f).map { "\($0.0) " + String(format: "%.2f", $0.1 * 100) }
                print("phase-fraction error vs ground truth (mean |Δ| per image, percentage points): " + per.joined(separator: ", "))
                for i in imageFractions {
                    let cells = names.indices.map { "\(names[$0]) " + String(format: "%.1f (truth %.1f)", i.predicted[$0] * 100, i.truth[$0] * 100) }
                    print("  \(i.name): " + cells.joined(separator: ", "))
                }
            }
        }
    }
}
