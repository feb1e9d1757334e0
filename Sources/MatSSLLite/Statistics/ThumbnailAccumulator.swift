/// The box-filter thumbnail for an image that arrives a band of rows at a time (the overlay of a
/// large micrograph is written band by band and never held whole; `Thumbnail.downscale` is this fed
/// one band). Feeding every row once, in any band sizes, gives the same source boxes and rounding
/// as one whole-image band. Memory: one Int sum per output sample.
public struct ThumbnailAccumulator {
    public let sourceWidth: Int, sourceHeight: Int
    /// Output size ([height, width, 3]); equal to the source when it is already small enough.
    public let width: Int, height: Int
    private var sums: [Int]
    /// Output row of each source row; output column of each source column.
    private let rowOf: [Int32], columnOf: [Int32]
    private let passthrough: Bool

    /// - Parameters: sourceWidth, sourceHeight: [H, W] of the image to shrink; maxSide: as in `downscale`.
    public init(sourceWidth W: Int, sourceHeight H: Int, maxSide: Int) {
        sourceWidth = W; sourceHeight = H
        passthrough = !(W > 0 && H > 0 && maxSide > 0 && max(W, H) > maxSide)
        if passthrough {
            width = W; height = H
        } else {
            width = max(1, W * maxSide / max(W, H)); height = max(1, H * maxSide / max(W, H))
        }
        // downscale's boxes: rows ⌊y·H/h⌋ ..< ⌊(y+1)·H/h⌋ partition 0..<H because H ≥ h (likewise columns).
        func owners(_ n: Int, _ m: Int) -> [Int32] {
            var map = [Int32](repeating: 0, count: max(0, n))
            guard n > 0, m > 0 else { return map }
            for o in 0..<m {
                let a = o * n / m, b = max(a + 1, (o + 1) * n / m)
                for i in a..<min(b, n) { map[i] = Int32(o) }
            }
            return map
        }
        rowOf = passthrough ? [] : owners(H, height)
        columnOf = passthrough ? [] : owners(W, width)
        sums = [Int](repeating: 0, count: max(0, width * height * 3))
    }

    /// Adds source rows `[top, top + band.height)`; `band` is `[rows, sourceWidth, 3]`.
    public mutating func add(band: RGBImage, top: Int) {
        precondition(band.width == sourceWidth && top >= 0 && top + band.height <= sourceHeight, "band outside the image")
        if passthrough {
            for i in 0..<(band.width * band.height * 3) { sums[top * sourceWidth * 3 + i] = Int(band.pixels[i]) }
            return
        }
        let w = width
        sums.withUnsafeMutableBufferPointer { acc in
            band.pixels.withUnsafeBufferPointer { src in
                for r in 0..<band.height {
                    let orow = Int(rowOf[top + r]) * w * 3
                    var i = r * sourceWidth * 3
                    for x in 0..<sourceWidth {
                        let o = orow + Int(columnOf[x]) * 3
                        acc[o] += Int(src[i]); acc[o + 1] += Int(src[i + 1]); acc[o + 2] += Int(src[i + 2])
                        i += 3
                    }
                }
            }
        }
    }

    /// The thumbnail of the rows added so far (all of them, for `downscale`'s result).
    public func result() -> RGBImage {
        if passthrough { return RGBImage(width: width, height: height, pixels: sums.map { UInt8(clamping: $0) }) }
        let W = sourceWidth, H = sourceHeight, w = width, h = height
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let y0 = y * H / h, y1 = max(y0 + 1, (y + 1) * H / h)
            for x in 0..<w {
                let x0 = x * W / w, x1 = max(x0 + 1, (x + 1) * W / w)
                let n = (y1 - y0) * (x1 - x0), o = (y * w + x) * 3
                for c in 0..<3 { out[o + c] = UInt8((sums[o + c] + n / 2) / n) }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
