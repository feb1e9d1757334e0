import QuantKernels

/// Class ids from channels-last float logits: the index of the largest of each pixel's `classes`
/// values, ties to the lower id (the int8 classifier and test-time augmentation use the same rule).
/// Runs `qk_f32_argmax`, split over the int8 thread pool for large inputs.
enum ClassArgmax {
    /// - Parameters: logits `[pixels, classes]`; labels receives `[pixels]` starting at `offset`.
    static func fill(_ logits: UnsafeBufferPointer<Float>, pixels: Int, classes k: Int,
                     into labels: UnsafeMutableBufferPointer<UInt8>, offset: Int = 0) {
        precondition(k > 0 && k <= 256 && logits.count >= pixels * k && labels.count >= offset + pixels,
                     "argmax of \(pixels)×\(k) logits into \(labels.count) labels at \(offset)")
        guard pixels > 0 else { return }
        let status = qk_f32_argmax(logits.baseAddress!, pixels, Int32(k), labels.baseAddress! + offset)
        precondition(status == 0, "qk_f32_argmax status \(status)")
    }
}
