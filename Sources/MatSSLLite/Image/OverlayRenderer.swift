/// Colours a gray image by its class mask: out = (1 − alpha) · gray + alpha · palette[label], per
/// channel, in 8-bit. Labels without a palette entry are left uncoloured (plain gray).
public enum OverlayRenderer {
    /// `image` and `mask` must have the same width and height (the caller reconciles mismatches,
    /// e.g. MetalDAM's one-row-short masks, explicitly). Shapes: image [h, w], result [h, w, 3].
    public static func render(image: GrayImage, mask: LabelMask, palette: [RGB8], alpha: Float = 0.45) -> RGBImage {
        precondition(image.width == mask.width && image.height == mask.height,
                     "OverlayRenderer: image \(image.width)×\(image.height) vs mask \(mask.width)×\(mask.height)")
        let a = min(max(alpha, 0), 1)
        var out = [UInt8](repeating: 0, count: image.width * image.height * 3)
        for i in 0..<(image.width * image.height) {
            let g = min(max(image.pixels[i], 0), 1) * 255
            let label = Int(mask.labels[i])
            if label < palette.count {
                let c = palette[label]
                out[3 * i] = UInt8(((1 - a) * g + a * Float(c.r)).rounded())
                out[3 * i + 1] = UInt8(((1 - a) * g + a * Float(c.g)).rounded())
                out[3 * i + 2] = UInt8(((1 - a) * g + a * Float(c.b)).rounded())
            } else {
                let v = UInt8(g.rounded())
                out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
            }
        }
        return RGBImage(width: image.width, height: image.height, pixels: out)
    }
}
