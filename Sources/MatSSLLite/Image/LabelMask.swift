/// A class-id image: `labels` is row-major with shape [height, width], one class id per pixel.
public struct LabelMask: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var labels: [UInt8]

    public init(width: Int, height: Int, labels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && labels.count == width * height, "LabelMask: labels.count must be width*height")
        self.width = width
        self.height = height
        self.labels = labels
    }

    public subscript(x: Int, y: Int) -> UInt8 {
        get { labels[y * width + x] }
        set { labels[y * width + x] = newValue }
    }

    /// The label of pixels that were not analysed (an SEM data bar): no class.
    public static let notAnalysed: UInt8 = 255

    /// The mask with `rows` more rows of `value` at the bottom: `[height + rows, width]`.
    public func appendingRows(_ rows: Int, value: UInt8) -> LabelMask {
        precondition(rows >= 0, "rows must be ≥ 0")
        return LabelMask(width: width, height: height + rows, labels: labels + [UInt8](repeating: value, count: rows * width))
    }
}

/// An 8-bit RGB colour.
public struct RGB8: Equatable, Hashable, Codable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(r: UInt8, g: UInt8, b: UInt8) { self.r = r; self.g = g; self.b = b }
}

/// An 8-bit RGB image: `pixels` is interleaved R, G, B, row-major, count = width × height × 3.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3, "RGBImage: pixels.count must be width*height*3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    public init(width: Int, height: Int, fill: RGB8 = RGB8(r: 0, g: 0, b: 0)) {
        self.width = width
        self.height = height
        var p = [UInt8](repeating: 0, count: width * height * 3)
        for i in stride(from: 0, to: p.count, by: 3) { p[i] = fill.r; p[i + 1] = fill.g; p[i + 2] = fill.b }
        self.pixels = p
    }

    public subscript(x: Int, y: Int) -> RGB8 {
        get { let i = (y * width + x) * 3; return RGB8(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2]) }
        set { let i = (y * width + x) * 3; pixels[i] = newValue.r; pixels[i + 1] = newValue.g; pixels[i + 2] = newValue.b }
    }
}
