import CImageCodecs

/// Reads micrographs: TIFF, PNG and JPEG, detected by magic bytes, decoded to gray floats in [0, 1].
///
/// Normalisation: the raw values of `info.intensityRange` map to 0 and 1 (`IntensityPolicy`, set by
/// `DecodeLimits.intensity`): by default 8-bit data ÷ 255, deeper data by its declared or detected
/// depth (12-bit values in a 16-bit file ÷ 4095); no auto-contrast. Colour → Rec.601 luminance 0.299 R + 0.587 G + 0.114 B. Alpha is ignored.
/// TIFF min-is-white is inverted (0 = black). Multi-page TIFF: the first page.
/// Signed and floating-point TIFFs are read too. See docs/image-io.md.
public enum ImageDecoder {
    /// Header only: format, size, depth, pixel size. Cheap; does not verify the pixel data.
    public static func inspect(path: String, limits: DecodeLimits = .default) throws -> ImageInfo {
        try ImageRowReader(path: path, limits: limits, output: IC_OUT_GRAY_F32, scanData: false).info
    }

    /// The whole first image as gray floats, shape [height, width], plus its header info.
    public static func decode(path: String, limits: DecodeLimits = .default) throws -> (GrayImage, ImageInfo) {
        let reader = try ImageRowReader(path: path, limits: limits, output: IC_OUT_GRAY_F32)
        let info = reader.info
        let n = info.width * info.height
        let pixels = try [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            let band = 64
            var y = 0
            while y < info.height {
                let rows = min(band, info.height - y)
                try reader.readRows(rows, into: UnsafeMutableBufferPointer(rebasing: buf[(y * info.width)...]))
                y += rows
            }
            initialized = n
        }
        return (GrayImage(width: info.width, height: info.height, pixels: pixels), info)
    }

    /// A streaming reader for row bands (e.g. tiles of an int8 pipeline). Header errors throw here;
    /// data errors throw from `readRows`.
    public static func decodeRows(path: String, limits: DecodeLimits = .default) throws -> ImageRowReader {
        try ImageRowReader(path: path, limits: limits, output: IC_OUT_GRAY_F32)
    }
}
