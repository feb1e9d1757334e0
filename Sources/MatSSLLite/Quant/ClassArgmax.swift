/// Class ids from channels-last float logits: the index of the largest of each pixel's `classes`
/// values, ties to the lower id (the int8 classifier and test-time augmentation use the same rule).
enum ClassArgmax {
    /// - Parameters: logits `[pixels, classes]`; labels receives `[pixels]` starting at `offset`.
    @inline(__always)
    static func fill(_ logits: UnsafeBufferPointer<Float>, pixels: Int, classes k: Int,
                     into labels: UnsafeMutableBufferPointer<UInt8>, offset: Int = 0) {
        for i in 0..<pixels {
            let base = i * k
            var best = 0
            var bv = logits[base]
            for c in 1..<k where logits[base + c] > bv { bv = logits[base + c]; best = c }
            labels[offset + i] = UInt8(best)
        }
    }
}
