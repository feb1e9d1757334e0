/// Small previews for `index.html`.
public enum Thumbnail {
    /// Downscales `image` so its longer side is at most `maxSide` (aspect kept, never upscaled)
    /// by averaging each output pixel's source box: rows `⌊y·H/h⌋ ..< ⌊(y+1)·H/h⌋`, likewise columns.
    /// Shapes: [H, W, 3] → [h, w, 3].
    public static func downscale(_ image: RGBImage, maxSide: Int) -> RGBImage {
        let W = image.width, H = image.height
        guard W > 0, H > 0, maxSide > 0, max(W, H) > maxSide else { return image }
        let w = max(1, W * maxSide / max(W, H)), h = max(1, H * maxSide / max(W, H))
        var out = [UInt8](repeating: 0, count: w * h * 3)
        image.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let y0 = y * H / h, y1 = max(y0 + 1, (y + 1) * H / h)
                for x in 0..<w {
                    let x0 = x * W / w, x1 = max(x0 + 1, (x + 1) * W / w)
                    var r = 0, g = 0, b = 0
                    for yy in y0..<y1 {
                        var i = (yy * W + x0) * 3
                        for _ in x0..<x1 { r += Int(src[i]); g += Int(src[i + 1]); b += Int(src[i + 2]); i += 3 }
                    }
                    let n = (y1 - y0) * (x1 - x0), o = (y * w + x) * 3
                    out[o] = UInt8((r + n / 2) / n); out[o + 1] = UInt8((g + n / 2) / n); out[o + 2] = UInt8((b + n / 2) / n)
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
