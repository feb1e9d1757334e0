import CImageCodecs

/// Writes PNG files atomically (temp file in the same directory, fsync, rename, fsync directory).
public enum PNGWriter {
    /// 8-bit RGB.
    public static func writeRGB(_ image: RGBImage, to path: String) throws {
        try write(path: path, width: image.width, height: image.height, color: IC_COLOR_RGB, bitDepth: 8, palette: nil) { body in
            image.pixels.withUnsafeBytes { body($0.baseAddress!) }
        }
    }

    /// 8-bit gray: round(v × 255), v clamped to [0, 1].
    public static func writeGray8(_ image: GrayImage, to path: String) throws {
        let bytes = image.pixels.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
        try write(path: path, width: image.width, height: image.height, color: IC_COLOR_GRAY, bitDepth: 8, palette: nil) { body in
            bytes.withUnsafeBytes { body($0.baseAddress!) }
        }
    }

    /// 16-bit gray: round(v × 65535), v clamped to [0, 1].
    public static func writeGray16(_ image: GrayImage, to path: String) throws {
        let words = image.pixels.map { UInt16((min(max($0, 0), 1) * 65535).rounded()) }
        try write(path: path, width: image.width, height: image.height, color: IC_COLOR_GRAY, bitDepth: 16, palette: nil) { body in
            words.withUnsafeBytes { body($0.baseAddress!) }
        }
    }

    static func write(path: String, width: Int, height: Int, color: ic_color, bitDepth: Int, palette: [UInt8]?,
                      pixels: ((UnsafeRawPointer) -> ic_status) -> ic_status) throws {
        guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max) else {
            throw ImageError.invalidInput(path: path, reason: "cannot write a \(width)×\(height) image")
        }
        try AtomicFileWriter.write(to: path) { tmp in
            var err = ic_error()
            let st = pixels { ptr in
                if let palette {
                    return palette.withUnsafeBufferPointer {
                        ic_png_write(tmp, UInt32(width), UInt32(height), color, Int32(bitDepth), ptr, $0.baseAddress, Int32(palette.count / 3), &err)
                    }
                }
                return ic_png_write(tmp, UInt32(width), UInt32(height), color, Int32(bitDepth), ptr, nil, 0, &err)
            }
            if st != IC_OK { throw ImageRowReader.error(err, path: path) }
        }
    }
}
