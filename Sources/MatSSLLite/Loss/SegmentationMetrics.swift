import Foundation

/// Confusion-matrix segmentation metrics: per-class IoU, mIoU, pixel accuracy.
public struct SegmentationMetrics: Codable, Sendable {
    public let classes: Int
    /// confusion[truth * classes + predicted]
    public private(set) var confusion: [Int]

    public init(classes: Int) { self.classes = classes; confusion = [Int](repeating: 0, count: classes * classes) }

    /// Adds a prediction/truth pair (same length; truth values ≥ classes are ignored).
    public mutating func add(predicted: [UInt8], truth: [UInt8]) {
        precondition(predicted.count == truth.count)
        for i in 0..<truth.count {
            let t = Int(truth[i]), p = Int(predicted[i])
            if t < classes && p < classes { confusion[t * classes + p] += 1 }
        }
    }

    /// IoU per class (nil where the class never occurs in truth or prediction).
    public var iou: [Double?] {
        (0..<classes).map { k in
            let tp = confusion[k * classes + k]
            var fp = 0, fn = 0
            for j in 0..<classes where j != k { fp += confusion[j * classes + k]; fn += confusion[k * classes + j] }
            let den = tp + fp + fn
            return den == 0 ? nil : Double(tp) / Double(den)
        }
    }

    /// Mean IoU over the given classes (default all) that have a defined IoU.
    public func meanIoU(over subset: [Int]? = nil) -> Double {
        let v = (subset ?? Array(0..<classes)).compactMap { $0 < classes ? iou[$0] : nil }
        return v.isEmpty ? 0 : v.reduce(0, +) / Double(v.count)
    }

    public var pixelAccuracy: Double {
        let total = confusion.reduce(0, +)
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1 * classes + $1] }
        return total == 0 ? 0 : Double(correct) / Double(total)
    }

    /// MetalDAM paper convention: mean over classes 0, 1, 2, 4 (precipitate excluded).
    public var paperMeanIoU: Double? { classes == 5 ? meanIoU(over: [0, 1, 2, 4]) : nil }
}
