/// A container format the decoder reads. Detected from the file's first bytes, never from its name.
public enum ImageFormat: String, Codable, Sendable, CaseIterable {
    case tiff, png, jpeg

    /// The format whose signature starts `bytes`, or nil.
    /// TIFF: `II*\0`, `MM\0*` (and BigTIFF `II+\0`, `MM\0+`); PNG: the 8-byte signature; JPEG: `FF D8 FF`.
    public static func detect(magic bytes: [UInt8]) -> ImageFormat? {
        if bytes.count >= 8, bytes[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 3, bytes[0] == 0xFF, bytes[1] == 0xD8, bytes[2] == 0xFF { return .jpeg }
        if bytes.count >= 4 {
            if bytes[0] == 0x49, bytes[1] == 0x49, bytes[2] == 0x2A || bytes[2] == 0x2B, bytes[3] == 0 { return .tiff }
            if bytes[0] == 0x4D, bytes[1] == 0x4D, bytes[2] == 0, bytes[3] == 0x2A || bytes[3] == 0x2B { return .tiff }
        }
        return nil
    }

    /// The format a file name's extension claims (`.tif/.tiff`, `.png`, `.jpg/.jpeg/.jpe/.jfif`), or nil.
    public static func claimed(byPath path: String) -> ImageFormat? {
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        switch path[path.index(after: dot)...].lowercased() {
        case "tif", "tiff": return .tiff
        case "png": return .png
        case "jpg", "jpeg", "jpe", "jfif": return .jpeg
        default: return nil
        }
    }
}
