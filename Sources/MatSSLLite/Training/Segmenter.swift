import Foundation

/// Whole-image fp32 inference with a SegmentationNet: the image is padded (edge replicate) to
/// multiples of 32, run at full resolution in eval mode, and the prediction cropped back.
public enum Segmenter {
    /// pixels: width·height floats in [0, 1] → (class ids, probabilities are not kept).
    public static func predict(_ net: SegmentationNet, width: Int, height: Int, pixels: [Float]) throws -> [UInt8] {
        let logits = try self.logits(net, width: width, height: height, pixels: pixels)
        let ph = logits.h, pw = logits.w, c = logits.c
        var out = [UInt8](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var best = 0
                var bv = logits[y * pw + x]
                for k in 1..<c { let v = logits[(k * ph + y) * pw + x]; if v > bv { bv = v; best = k } }
                out[y * width + x] = UInt8(best)
            }
        }
        return out
    }

    /// Logits [1, classes, H, W] of the padded image (H, W = height, width rounded up to 32).
    public static func logits(_ net: SegmentationNet, width: Int, height: Int, pixels: [Float]) throws -> Tensor {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw ModelError.badInput("image \(width)×\(height) with \(pixels.count) pixels")
        }
        let x = paddedInput(width: width, height: height, pixels: pixels)
        let was = net.training
        net.training = false
        defer { net.training = was }
        return try net.forward(x)
    }

    /// The image as [1, 1, H, W] with H, W rounded up to multiples of 32 by edge replication — the
    /// input convention of fp32 inference, calibration and the int8 tiler alike.
    public static func paddedInput(width: Int, height: Int, pixels: [Float]) -> Tensor {
        let ph = (height + 31) / 32 * 32, pw = (width + 31) / 32 * 32
        let x = Tensor([1, 1, ph, pw])
        for y in 0..<ph {
            let sy = min(y, height - 1)
            for xx in 0..<pw { x[y * pw + xx] = pixels[sy * width + min(xx, width - 1)] }
        }
        return x
    }

    /// Evaluates the net on labeled images (whole-image inference).
    public static func evaluate(_ net: SegmentationNet, images: [TrainImage]) throws -> SegmentationMetrics {
        var m = SegmentationMetrics(classes: net.numClasses)
        for img in images {
            let px = img.pixels.map { Float($0) / 255 }
            let pred = try predict(net, width: img.width, height: img.height, pixels: px)
            m.add(predicted: pred, truth: img.labels ?? [])
        }
        return m
    }
}
