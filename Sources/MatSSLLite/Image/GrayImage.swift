/// A single-channel image with values in [0, 1].
///
/// `pixels` is row-major with shape [height, width]: pixel (x, y) is `pixels[y * width + x]`.
public struct GrayImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [Float]

    public init(width: Int, height: Int, pixels: [Float]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height, "GrayImage: pixels.count must be width*height")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// The value at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> Float {
        get { pixels[y * width + x] }
        set { pixels[y * width + x] = newValue }
    }

    /// The image without its bottom `rows` rows (an SEM data bar): `[height - rows, width]`, or nil
    /// when that leaves no row.
    public func droppingBottomRows(_ rows: Int) -> GrayImage? {
        precondition(rows >= 0, "rows must be ≥ 0")
        guard rows > 0 else { return self }
        guard rows < height else { return nil }
        return GrayImage(width: width, height: height - rows, pixels: Array(pixels[0..<((height - rows) * width)]))
    }
}
