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

    /// 8-bit RGB produced `bandRows` rows at a time, so only one band is ever in memory (the overlay
    /// of a 4096×4096 image is 48 MB whole). `fill(y, rows, band)` writes rows `[y, y + rows)` into
    /// `band` (`[rows, width, 3]` bytes); it is called top to bottom, once per band. An error it
    /// throws abandons the file (the destination is untouched) and is rethrown as is.
    public static func writeRGB(width: Int, height: Int, bandRows: Int, to path: String,
                                fill: (_ y: Int, _ rows: Int, _ band: UnsafeMutableBufferPointer<UInt8>) throws -> Void) throws {
        guard width > 0, height > 0, width <= Int(UInt32.max), height <= Int(UInt32.max) else {
            throw ImageError.invalidInput(path: path, reason: "cannot write a \(width)×\(height) image")
        }
        try AtomicFileWriter.write(to: path) { tmp in
            try withoutActuallyEscaping(fill) { fill in
                let source = RowSource(width: width * 3, fill: fill)
                var err = ic_error()
                let st = withExtendedLifetime(source) {
                    ic_png_write_rows(tmp, UInt32(width), UInt32(height), IC_COLOR_RGB, 8, nil, 0, UInt32(max(1, bandRows)),
                                      { ctx, y, rows, dst in
                                          let s = Unmanaged<RowSource>.fromOpaque(ctx!).takeUnretainedValue()
                                          let band = UnsafeMutableBufferPointer(start: dst!.assumingMemoryBound(to: UInt8.self),
                                                                                count: Int(rows) * s.rowBytes)
                                          do { try s.fill(Int(y), Int(rows), band); return 0 } catch { s.error = error; return 1 }
                                      }, Unmanaged.passUnretained(source).toOpaque(), &err)
                }
                if let e = source.error { throw e }
                if st != IC_OK { throw ImageRowReader.error(err, path: path) }
            }
        }
    }

    /// Context of `ic_png_write_rows`' callback.
    private final class RowSource {
        let rowBytes: Int
        let fill: (Int, Int, UnsafeMutableBufferPointer<UInt8>) throws -> Void
        var error: Error?
        init(width rowBytes: Int, fill: @escaping (Int, Int, UnsafeMutableBufferPointer<UInt8>) throws -> Void) {
            self.rowBytes = rowBytes; self.fill = fill
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
