import CImageCodecs

/// Reads and writes class-id masks as PNG (values are class ids; Fiji/ImageJ read them as such).
public enum MaskCodec {
    /// Reads an 8-bit (or 1/2/4-bit) gray or palette PNG — or an 8-bit gray/palette TIFF — whose
    /// pixel values (palette indices, not colours) are class ids. RGB, 16-bit and JPEG masks are refused
    /// with `ImageError.unsupported`.
    public static func read(path: String, limits: DecodeLimits = .default) throws -> LabelMask {
        let reader = try ImageRowReader(path: path, limits: limits, output: IC_OUT_LABELS_U8)
        let w = reader.info.width, h = reader.info.height
        let labels = try [UInt8](unsafeUninitializedCapacity: w * h) { buf, initialized in
            try reader.readLabelRows(h, into: buf)
            initialized = w * h
        }
        return LabelMask(width: w, height: h, labels: labels)
    }

    /// Writes `mask` as an 8-bit palette PNG atomically (temp file, fsync, rename). Every label must
    /// have a palette entry (`palette.count` > max label, ≤ 256).
    public static func writePalettePNG(_ mask: LabelMask, palette: [RGB8], to path: String) throws {
        guard !palette.isEmpty, palette.count <= 256 else {
            throw ImageError.invalidInput(path: path, reason: "palette has \(palette.count) entries; 1...256 needed")
        }
        if let maxLabel = mask.labels.max(), Int(maxLabel) >= palette.count {
            throw ImageError.invalidInput(path: path, reason: "label \(maxLabel) has no palette colour (palette has \(palette.count))")
        }
        let flat = palette.flatMap { [$0.r, $0.g, $0.b] }
        try PNGWriter.write(path: path, width: mask.width, height: mask.height, color: IC_COLOR_PALETTE, bitDepth: 8,
                            palette: flat) { body in mask.labels.withUnsafeBytes { body($0.baseAddress!) } }
    }
}
