/// A container format the decoder reads. Detected from the file's first bytes, never from its name.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case tiff, png, jpeg, bmp

    /// The format whose signature starts `bytes`, or nil.
    /// TIFF: `II*\0`, `MM\0*` (and BigTIFF `II+\0`, `MM\0+`); PNG: the 8-byte signature; JPEG: `FF D8 FF`;
    /// BMP: `BM` and, when 16 bytes are given, a known info-header size at byte 14 (12, 40…124).
    public static func detect(magic bytes: [UInt8]) -> ImageFormat? {
        if bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 2, bytes[0] == 0x42, bytes[1] == 0x4D {
            guard bytes.count >= 16 else { return .bmp }
            let dib = Int(bytes[14]) | Int(bytes[15]) << 8
            if [12, 40, 52, 56, 64, 108, 124].contains(dib) { return .bmp }
        }
        if bytes.count >= 4 {
            if bytes[0] == 0x49, bytes[1] == 0x49, bytes[2] == 0x2A || bytes[2] == 0x2B, bytes[3] == 0 { return .tiff }
            if bytes[0] == 0x4D, bytes[1] == 0x4D, bytes[2] == 0, bytes[3] == 0x2A || bytes[3] == 0x2B { return .tiff }
        }
        return nil
    }

    /// The format a file name's extension claims (`.tif/.tiff`, `.png`, `.jpg/.jpeg/.jpe/.jfif`, `.bmp/.dib`), or nil.
    public static func claimed(byPath path: String) -> ImageFormat? {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        switch path[path.index(after: dot)...].lowercased() {
        case "tif", "tiff": return .tiff
        case "png": return .png
        case "jpg", "jpeg", "jpe", "jfif": return .jpeg
        case "bmp", "dib": return .bmp
        default: return nil
        }
    }
}
