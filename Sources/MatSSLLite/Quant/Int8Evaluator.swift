import Foundation

/// Accuracy of an int8 model on labeled images, and its agreement with the fp32 network it came from.
public enum Int8Evaluator {
    public struct Result: Sendable {
        public var metrics: SegmentationMetrics
        /// Share of pixels where int8 and fp32 predict the same class (nil without an fp32 net).
        public var agreement: Double?
        /// fp32 metrics on the same images (nil without an fp32 net).
        public var fp32Metrics: SegmentationMetrics?
        public var seconds: Double
    }

    /// - Parameter fp32: the fp32 network, to measure agreement and report its metrics beside.
    public static func evaluate(_ model: QuantizedModel, images: [TrainImage], fp32: SegmentationNet? = nil,
                                log: (String) -> Void = { _ in }) throws -> Result {
        let seg = TiledSegmenter(model: model)
        var m = SegmentationMetrics(classes: model.classNames.count)
        var fm = fp32.map { SegmentationMetrics(classes: $0.numClasses) }
        var same = 0, total = 0
        let start = Date()
        for img in images {
            let gray = GrayImage(width: img.width, height: img.height, pixels: img.pixels.map { Float($0) / 255 })
            let q = try seg.segment(gray)
            if let truth = img.labels { m.add(predicted: q.labels, truth: truth) }
            if let net = fp32 {
                let f = try Segmenter.predict(net, width: img.width, height: img.height, pixels: gray.pixels)
                if let truth = img.labels { fm?.add(predicted: f, truth: truth) }
                same += zip(f, q.labels).reduce(0) { $0 + ($1.0 == $1.1 ? 1 : 0) }
                total += f.count
            }
            log("\(img.name): done")
        }
        return Result(metrics: m, agreement: total > 0 ? Double(same) / Double(total) : nil, fp32Metrics: fm,
                      seconds: Date().timeIntervalSince(start))
    }
}
