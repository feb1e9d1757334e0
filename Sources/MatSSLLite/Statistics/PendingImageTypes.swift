// TEMPORARY: stand-ins for image types another helper defines in `Sources/MatSSLLite/Image/`.
// Delete this file when `git merge main` brings the real `RGBImage`, `RGB8`, `PixelSize`,
// `PixelSizeSource` and `LabelMask` (the statistics code only uses the members declared here).

/// 8-bit RGB colour.
public struct RGB8: Equatable, Hashable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }
}

/// RGB image, `pixels` interleaved row-major, count `width * height * 3`.
public struct RGBImage: Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width; self.height = height; self.pixels = pixels
    }
}

/// Where a pixel size came from.
public enum PixelSizeSource: String, Codable, Sendable {
    case fileTag = "file_tag"
    case config
    case none
}

/// Physical pixel size.
public struct PixelSize: Equatable, Sendable {
    public var micrometresPerPixel: Double
    public var source: PixelSizeSource
    public init(micrometresPerPixel: Double, source: PixelSizeSource) {
        self.micrometresPerPixel = micrometresPerPixel; self.source = source
    }
}

/// Class-id mask, `labels` row-major, count `width * height`.
public struct LabelMask: Sendable {
    public var width: Int
    public var height: Int
    public var labels: [UInt8]
    public init(width: Int, height: Int, labels: [UInt8]) {
        self.width = width; self.height = height; self.labels = labels
    }
}
