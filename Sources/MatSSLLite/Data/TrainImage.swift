import Foundation

/// A gray training image held compactly in memory (8-bit; decoders give [0, 1] floats which are
/// rounded to 1/255 steps), with its optional label mask of the same size.
public struct TrainImage: Sendable {
    public let name: String
    public let width: Int, height: Int
    public let pixels: [UInt8]
    public let labels: [UInt8]?

    public init(name: String, width: Int, height: Int, pixels: [UInt8], labels: [UInt8]? = nil) {
        precondition(pixels.count == width * height && (labels == nil || labels!.count == width * height))
        self.name = name; self.width = width; self.height = height; self.pixels = pixels; self.labels = labels
    }

    /// From float pixels in [0, 1] (row-major).
    public init(name: String, width: Int, height: Int, floatPixels: [Float], labels: [UInt8]? = nil) {
        self.init(name: name, width: width, height: height,
                  pixels: floatPixels.map { UInt8(max(0, min(255, ($0 * 255).rounded()))) }, labels: labels)
    }

    /// The image (and its mask) without the bottom `rows` rows: an SEM data bar, which is not
    /// microstructure and must not be learned from, calibrated on or scored.
    /// - Throws: `DataError.sizeMismatch` naming `file` (default: the image's name) when no row
    ///   would be left.
    public func droppingBottomRows(_ rows: Int, file: String? = nil) throws -> TrainImage {
        precondition(rows >= 0, "rows must be ≥ 0")
        guard rows > 0 else { return self }
        guard rows < height else {
            throw DataError.sizeMismatch("\(file ?? name): a data bar of \(rows) rows leaves nothing of its \(width)×\(height) pixels")
        }
        let n = (height - rows) * width
        return TrainImage(name: name, width: width, height: height - rows, pixels: Array(pixels[0..<n]),
                          labels: labels.map { Array($0[0..<n]) })
    }

    @inline(__always) func pixel(_ x: Int, _ y: Int) -> Float {
        Float(pixels[y * width + x]) * (1 / 255)
    }
}

/// Errors of the data pipeline, naming the file.
public enum DataError: Error, CustomStringConvertible {
    case noImages(String)
    case missingMask(image: String, expected: String)
    case sizeMismatch(String)
    case badList(String)
    case badLabel(String)
    public var description: String {
        switch self {
        case .noImages(let s): return "no images: \(s)"
        case .missingMask(let i, let e): return "image \(i) has no mask (expected \(e))"
        case .sizeMismatch(let s): return "size mismatch: \(s)"
        case .badList(let s): return "bad list file: \(s)"
        case .badLabel(let s): return "bad label: \(s)"
        }
    }
}

/// Reconciles an image and its mask when their sizes differ by a few rows/columns (MetalDAM's
/// micrograph15/19 masks are one row short): crops both to the common top-left region and returns
/// a log message. Larger differences (> 8 px) are an error.
public func reconcileImageAndMask(name: String, image: (w: Int, h: Int, pixels: [Float]),
                                  mask: (w: Int, h: Int, labels: [UInt8])) throws -> (TrainImage, String?) {
    if image.w == mask.w && image.h == mask.h {
        return (TrainImage(name: name, width: image.w, height: image.h, floatPixels: image.pixels, labels: mask.labels), nil)
    }
    guard abs(image.w - mask.w) <= 8, abs(image.h - mask.h) <= 8 else {
        throw DataError.sizeMismatch("\(name): image \(image.w)×\(image.h) vs mask \(mask.w)×\(mask.h)")
    }
    let w = min(image.w, mask.w), h = min(image.h, mask.h)
    var px = [Float](repeating: 0, count: w * h), lb = [UInt8](repeating: 0, count: w * h)
    for y in 0..<h {
        for x in 0..<w { px[y * w + x] = image.pixels[y * image.w + x]; lb[y * w + x] = mask.labels[y * mask.w + x] }
    }
    let msg = "\(name): image \(image.w)×\(image.h) and mask \(mask.w)×\(mask.h) differ; both cropped to \(w)×\(h) (top-left)"
    return (TrainImage(name: name, width: w, height: h, floatPixels: px, labels: lb), msg)
}
