import Foundation

/// Whole-image fp32 inference with a SegmentationNet: the image is padded (edge replicate) to
/// multiples of 32, run at full resolution in eval mode, and the prediction cropped back.
public enum Segmenter {
    /// pixels: width·height floats in [0, 1] → (class ids, probabilities are not kept).
    /// - Parameter augmentation: views of the padded image whose logits are summed per pixel
    ///   (in the order of `augmentation.transforms`, as the int8 tiler does).
    /// A net with `standardizeIntensity` gets the image re-mapped first (`modelInput`).
    public static func predict(_ net: SegmentationNet, width: Int, height: Int, pixels: [Float],
                               augmentation: TestTimeAugmentation = .none) throws -> [UInt8] {
        let pixels = modelInput(pixels, config: net.config)
        if augmentation != .none {
            return try predictAugmented(net, width: width, height: height, pixels: pixels, augmentation: augmentation)
        }
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

    private static func predictAugmented(_ net: SegmentationNet, width: Int, height: Int, pixels: [Float],
                                         augmentation: TestTimeAugmentation) throws -> [UInt8] {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw ModelError.badInput("image \(width)×\(height) with \(pixels.count) pixels")
        }
        let padded = paddedInput(width: width, height: height, pixels: pixels)
        let ph = padded.h, pw = padded.w, k = net.numClasses
        let plane = padded.array
        var sum = [Float](repeating: 0, count: k * height * width) // [classes, height, width]
        let was = net.training
        net.training = false
        defer { net.training = was }
        for t in augmentation.transforms {
            let (vh, vw) = t.outputSize(height: ph, width: pw)
            let view = plane.withUnsafeBufferPointer { t.apply($0, height: ph, width: pw) }
            let x = Tensor([1, 1, vh, vw])
            for i in 0..<view.count { x[i] = view[i] }
            let logits = try net.forward(x)
            for ty in 0..<vh {
                for tx in 0..<vw {
                    let (y, xx) = t.source(ty, tx, height: ph, width: pw)
                    guard y < height, xx < width else { continue }
                    for c in 0..<k { sum[(c * height + y) * width + xx] += logits[(c * vh + ty) * vw + tx] }
                }
            }
        }
        var out = [UInt8](repeating: 0, count: width * height)
        let n = width * height
        for p in 0..<n {
            var best = 0
            var bv = sum[p]
            for c in 1..<k where sum[c * n + p] > bv { bv = sum[c * n + p]; best = c }
            out[p] = UInt8(best)
        }
        return out
    }

    /// The pixels a network with `config` is fed: unchanged, or per-image standardised
    /// (`IntensityStandardization`) when the config asks for it. `pixels` [height·width] in [0, 1].
    public static func modelInput(_ pixels: [Float], config: ModelConfig) -> [Float] {
        IntensityStandardization(config: config)?.apply(unit: pixels) ?? pixels
    }

    /// Logits [1, classes, H, W] of the padded image (H, W = height, width rounded up to 32);
    /// `pixels` are used as given (callers apply `modelInput`).
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
    public static func evaluate(_ net: SegmentationNet, images: [TrainImage],
                                augmentation: TestTimeAugmentation = .none) throws -> SegmentationMetrics {
        var m = SegmentationMetrics(classes: net.numClasses)
        for img in images {
            let px = img.pixels.map { Float($0) / 255 }
            let pred = try predict(net, width: img.width, height: img.height, pixels: px, augmentation: augmentation)
            m.add(predicted: pred, truth: img.labels ?? [])
        }
        return m
    }
}
