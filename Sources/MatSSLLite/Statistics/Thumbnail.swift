/// Small previews for `index.html`.
public enum Thumbnail {
    /// Downscales `image` so its longer side is at most `maxSide` (aspect kept, never upscaled)
    /// by averaging each output pixel's source box: rows `⌊y·H/h⌋ ..< ⌊(y+1)·H/h⌋`, likewise columns.
    /// Shapes: [H, W, 3] → [h, w, 3].
    public static func downscale(_ image: RGBImage, maxSide: Int) -> RGBImage {
        guard image.width > 0, image.height > 0, maxSide > 0, max(image.width, image.height) > maxSide else { return image }
        var acc = ThumbnailAccumulator(sourceWidth: image.width, sourceHeight: image.height, maxSide: maxSide)
        acc.add(band: image, top: 0)
        return acc.result()
    }
}
