import CImageCodecs

/// Streams an image's rows top to bottom as gray floats in [0, 1] (or raw 8-bit class ids for masks;
/// the raw values of `info.intensityRange` map to 0 and 1, see `IntensityPolicy`),
/// holding only about one strip / tile band / row of the file in memory (Adam7-interlaced PNGs and
/// progressive JPEGs are buffered whole by their libraries).
///
/// Not thread-safe; use one reader per thread. The file stays open until the reader is released.
public final class ImageRowReader {
    public let info: ImageInfo
    /// The file and the limits it was opened with (a second pass can open it again).
    public let path: String
    public let limits: DecodeLimits
    /// The next row `readRows` returns.
    public private(set) var nextRow: Int = 0
    private let handle: OpaquePointer
    private let output: ic_output

    /// - Parameter scanData: allow the extra pass over the pixels that `IntensityPolicy.auto`
    ///   needs for deep (16-bit, signed, float) images; false leaves `info.intensityRange` nil for
    ///   those (header-only inspection).
    init(path: String, limits: DecodeLimits, output: ic_output, scanData: Bool = true) throws {
        let (format, note) = try ImageFile.probe(path: path, limits: limits)
        let cFormat: ic_format
        switch format {
        case .tiff: cFormat = IC_FORMAT_TIFF
        case .png: cFormat = IC_FORMAT_PNG
        case .jpeg: cFormat = IC_FORMAT_JPEG
        case .bmp: cFormat = IC_FORMAT_BMP
        }
        var cinfo = ic_info()
        var err = ic_error()
        guard let h = ic_reader_open(path, cFormat, output, UInt64(max(0, limits.maxPixels)), &cinfo, &err) else {
            defer { ic_info_free(&cinfo) }
            if err.status == IC_E_TOO_LARGE {
                throw ImageError.tooLarge(path: path, width: Int(cinfo.width), height: Int(cinfo.height), limit: limits.maxPixels)
            }
            throw ImageRowReader.error(err, path: path)
        }
        defer { ic_info_free(&cinfo) }
        handle = h
        self.output = output
        self.path = path
        self.limits = limits
        var info = ImageRowReader.makeInfo(cinfo, path: path, format: format, note: note)
        if output == IC_OUT_GRAY_F32 {
            let storage = IntensityPolicy.Storage(
                sampleFormat: info.sampleFormat, bitDepth: info.bitDepth, isPalette: info.colorModel == "palette",
                low: cinfo.value_low, high: cinfo.value_high,
                declared: cinfo.has_declared_range != 0 ? (cinfo.declared_low, cinfo.declared_high) : nil)
            // Unsigned 16-bit data: once a value exceeds 14 bits, "auto" can only answer full scale,
            // so the pass stops there (a full-range image costs one band, not a second decode).
            let stop: Float? = storage.sampleFormat == "uint" && storage.high == 65535 ? 16383 : nil
            let scan = { try ImageRowReader.dataRange(path: path, format: cFormat, limits: limits, stopAbove: stop) }
            // `self` is not fully initialised yet, so deinit would not close the handle: close it
            // here on every failure (a corrupt deep image must not leak a descriptor per attempt).
            do {
                if let range = try limits.intensity.resolve(storage, dataRange: scanData ? scan : nil) {
                    var err = ic_error()
                    guard ic_reader_set_range(h, range.low, range.high, &err) == IC_OK else {
                        throw ImageRowReader.error(err, path: path)
                    }
                    info.intensityRange = range
                }
            } catch {
                ic_reader_close(h)
                throw error
            }
        }
        self.info = info
    }

    /// The finite minimum and maximum raw value (gray, or luma of colour) of the whole image, from
    /// a second reader: one extra decoding pass, 64 rows at a time. Nil when no value is finite.
    /// `stopAbove`: end the pass at the first band holding a larger value (the range so far is returned).
    private static func dataRange(path: String, format: ic_format, limits: DecodeLimits,
                                  stopAbove: Float? = nil) throws -> (min: Double, max: Double)? {
        var cinfo = ic_info()
        var err = ic_error()
        guard let h = ic_reader_open(path, format, IC_OUT_GRAY_RAW_F32, UInt64(max(0, limits.maxPixels)), &cinfo, &err) else {
            ic_info_free(&cinfo)
            throw ImageRowReader.error(err, path: path)
        }
        defer { ic_reader_close(h); ic_info_free(&cinfo) }
        let width = Int(cinfo.width), height = Int(cinfo.height), band = 64
        var row = [Float](repeating: 0, count: band * width)
        var lo = Float.infinity, hi = -Float.infinity
        var y = 0
        while y < height {
            let n = min(band, height - y)
            let st = row.withUnsafeMutableBytes { ic_reader_read_rows(h, $0.baseAddress, UInt32(n), &err) }
            guard st == IC_OK else { throw ImageRowReader.error(err, path: path) }
            for v in row[0..<(n * width)] where v.isFinite {
                lo = min(lo, v)
                hi = max(hi, v)
            }
            y += n
            if let stop = stopAbove, hi > stop { break }
        }
        return lo <= hi ? (Double(lo), Double(hi)) : nil
    }

    deinit { ic_reader_close(handle) }

    /// Decodes the next `count` rows into `buffer` (at least count × width elements), row-major.
    public func readRows(_ count: Int, into buffer: UnsafeMutableBufferPointer<Float>) throws {
        precondition(output == IC_OUT_GRAY_F32, "this reader yields class ids; use readLabelRows")
        try read(count, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: buffer.count)
    }

    /// The next `count` rows as a band image of shape [count, width].
    public func readRows(_ count: Int) throws -> GrayImage {
        let n = count * info.width
        let pixels = try [Float](unsafeUninitializedCapacity: n) { buf, initialized in
            try readRows(count, into: buf)
            initialized = n
        }
        return GrayImage(width: info.width, height: count, pixels: pixels)
    }

    /// Decodes the next `count` rows of class ids (mask readers only).
    func readLabelRows(_ count: Int, into buffer: UnsafeMutableBufferPointer<UInt8>) throws {
        precondition(output == IC_OUT_LABELS_U8)
        try read(count, into: UnsafeMutableRawPointer(buffer.baseAddress), capacity: buffer.count)
    }

    private func read(_ count: Int, into dst: UnsafeMutableRawPointer?, capacity: Int) throws {
        precondition(count >= 0 && count <= info.height - nextRow, "readRows: \(count) rows requested, \(info.height - nextRow) left")
        precondition(capacity >= count * info.width, "readRows: buffer too small")
        guard count > 0 else { return }
        var err = ic_error()
        let st = ic_reader_read_rows(handle, dst, UInt32(count), &err)
        guard st == IC_OK else { throw ImageRowReader.error(err, path: info.path) }
        nextRow += count
    }

    static func error(_ err: ic_error, path: String) -> ImageError {
        let reason = withUnsafeBytes(of: err.message) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
        switch err.status {
        case IC_E_UNREADABLE: return .unreadable(path: path, reason: reason)
        case IC_E_EMPTY: return .empty(path: path)
        case IC_E_TRUNCATED: return .truncated(path: path, reason: reason)
        case IC_E_UNSUPPORTED: return .unsupported(path: path, reason: reason)
        case IC_E_NOMEM: return .unreadable(path: path, reason: "out of memory: \(reason)")
        case IC_E_WRITE: return .writeFailed(path: path, reason: reason)
        default: return .corrupt(path: path, reason: reason.isEmpty ? "undecodable data" : reason)
        }
    }

    private static func makeInfo(_ c: ic_info, path: String, format: ImageFormat, note: String?) -> ImageInfo {
        let model: String
        switch c.color {
        case IC_COLOR_GRAY: model = "gray"
        case IC_COLOR_GRAY_ALPHA: model = "gray+alpha"
        case IC_COLOR_RGB: model = "rgb"
        case IC_COLOR_RGBA: model = "rgba"
        default: model = "palette"
        }
        var compression: String? = nil
        if format == .tiff {
            switch c.compression {
            case 1: compression = "none"
            case 5: compression = "lzw"
            case 8, 32946: compression = "deflate"
            case 32773: compression = "packbits"
            case 7: compression = "jpeg"
            case 50000: compression = "zstd"
            case 34925: compression = "lzma"
            case 50001: compression = "webp"
            default: compression = "code \(c.compression)"
            }
        }
        return ImageInfo(path: path, format: format, width: Int(c.width), height: Int(c.height), channels: Int(c.channels),
                         bitDepth: Int(c.bit_depth), colorModel: model, pixelSize: pixelSize(c, format: format),
                         pages: Int(c.pages), compression: compression, tiled: c.tiled != 0,
                         progressive: c.progressive != 0, interlaced: c.interlaced != 0, note: note,
                         dataBarRows: c.fei_metadata.flatMap { DataBarParser.fei(decodeText($0), imageHeight: Int(c.height)) },
                         sampleFormat: c.sample_format == IC_SAMPLE_FLOAT ? "float" : c.sample_format == IC_SAMPLE_INT ? "int" : "uint")
    }

    /// Priority: FEI tag 34682, Zeiss tag 34118, then TIFF resolution / PNG pHYs. JPEG JFIF density is
    /// not used (see docs/image-io.md).
    private static func pixelSize(_ c: ic_info, format: ImageFormat) -> PixelSize? {
        if let p = c.fei_metadata, let um = PixelSizeParser.fei(decodeText(p)) {
            return PixelSize(micrometresPerPixel: um, source: .feiMetadata)
        }
        if let p = c.zeiss_metadata, let um = PixelSizeParser.zeiss(decodeText(p)) {
            return PixelSize(micrometresPerPixel: um, source: .zeissMetadata)
        }
        switch (format, c.resolution_unit) {
        case (.tiff, IC_RES_INCH):
            return PixelSizeParser.fromResolution(pixelsPerUnit: c.x_resolution, micrometresPerUnit: 25_400).map { PixelSize(micrometresPerPixel: $0, source: .tiffResolution) }
        case (.tiff, IC_RES_CM):
            return PixelSizeParser.fromResolution(pixelsPerUnit: c.x_resolution, micrometresPerUnit: 10_000).map { PixelSize(micrometresPerPixel: $0, source: .tiffResolution) }
        case (.png, IC_RES_METRE):
            return PixelSizeParser.fromResolution(pixelsPerUnit: c.x_resolution, micrometresPerUnit: 1_000_000).map { PixelSize(micrometresPerPixel: $0, source: .pngPhys) }
        default:
            return nil
        }
    }

    /// Metadata text: UTF-8 when valid, else Latin-1 (Zeiss writes µ as 0xB5).
    private static func decodeText(_ p: UnsafeMutablePointer<CChar>) -> String {
        let raw = UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self)
        var n = 0
        while raw[n] != 0 { n += 1 }
        let bytes = UnsafeBufferPointer(start: raw, count: n)
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: bytes.map { Unicode.Scalar($0) })
        return String(scalars)
    }
}
