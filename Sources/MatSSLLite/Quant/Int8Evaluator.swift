import Foundation

/// Accuracy of an int8 model on labeled images, and its agreement with the fp32 network it came from.
public enum Int8Evaluator {
    public struct Result: Sendable {
        public var metrics: SegmentationMetrics
        /// Share of pixels where int8 and fp32 predict the same class (nil without an fp32 net).
        public var agreement: Double?
        /// fp32 metrics on the same images (nil without an fp32 net).
        public var fp32Metrics: SegmentationMetrics?
        /// Per class: mean over images of |predicted − true area fraction| (0…1), the phase-fraction
        /// error a metallographer would see (nil without masks).
        public var phaseFractionMAE: [Double]?
        /// Per labeled image, in input order: its area fractions (0…1, one per class) as predicted and as
        /// in the mask, so that a phase-fraction error can be traced to the images behind it.
        public var imageFractions: [ImageFractions]
        public var seconds: Double
    }

    /// Area fractions of one labeled image: `predicted` and `truth` hold one value per class, 0…1.
    public struct ImageFractions: Sendable {
        public var name: String
        public var predicted: [Double]
        public var truth: [Double]
    }

    /// Area fraction of each class in `labels` (values ≥ classes are ignored).
    static func fractions(_ labels: [UInt8], classes: Int) -> [Double] {
        var counts = [Int](repeating: 0, count: classes)
        var total = 0
        for l in labels where Int(l) < classes { counts[Int(l)] += 1; total += 1 }
        return counts.map { total > 0 ? Double($0) / Double(total) : 0 }
    }

    /// - Parameter fp32: the fp32 network, to measure agreement and report its metrics beside.
    /// - Parameter augmentation: test-time augmentation, for the int8 model and the fp32 net alike.
    /// - Parameter ensemble: more int8 models whose logits are summed with `model`'s (the metrics are
    ///   the ensemble's; the fp32 comparison stays with `model`'s network).
    public static func evaluate(_ model: QuantizedModel, images: [TrainImage], fp32: SegmentationNet? = nil,
                                augmentation: TestTimeAugmentation = .none, ensemble: [QuantizedModel] = [],
                                log: (String) -> Void = { _ in }) throws -> Result {
        let seg = try TiledSegmenter(ensemble: [model] + ensemble, augmentation: augmentation)
        var m = SegmentationMetrics(classes: model.classNames.count)
        var fm = fp32.map { SegmentationMetrics(classes: $0.numClasses) }
        var same = 0, total = 0
        let k = model.classNames.count
        var fractionError = [Double](repeating: 0, count: k)
        var labeled = 0
        var perImage: [ImageFractions] = []
        let start = Date()
        for img in images {
            let gray = GrayImage(width: img.width, height: img.height, pixels: img.pixels.map { Float($0) / 255 })
            let q = try seg.segment(gray)
            if let truth = img.labels {
                m.add(predicted: q.labels, truth: truth)
                let p = fractions(q.labels, classes: k), t = fractions(truth, classes: k)
                for c in 0..<k { fractionError[c] += abs(p[c] - t[c]) }
                perImage.append(ImageFractions(name: img.name, predicted: p, truth: t))
                labeled += 1
            }
            if let net = fp32 {
                let f = try Segmenter.predict(net, width: img.width, height: img.height, pixels: gray.pixels,
                                              augmentation: augmentation)
                if let truth = img.labels { fm?.add(predicted: f, truth: truth) }
                same += zip(f, q.labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
                total += f.count
            }
            log("\(img.name): done")
        }
        return Result(metrics: m, agreement: total > 0 ? Double(same) / Double(total) : nil, fp32Metrics: fm,
                      phaseFractionMAE: labeled > 0 ? fractionError.map { $0 / Double(labeled) } : nil,
                      imageFractions: perImage,
                      seconds: Date().timeIntervalSince(start))
    }
}
