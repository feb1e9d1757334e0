import Foundation

/// ASTM E112 mean lineal intercept measured on a grid of straight test lines.
///
/// Test-line pattern: `linesPerDirection` horizontal lines at rows `floor((i + 0.5)·H / n)` and as
/// many vertical lines at columns `floor((i + 0.5)·W / n)`, i = 0..<n (lines that would coincide
/// are kept once). Each line spans the whole analysed mask. Along a line, every maximal run of
/// pixels of the grain-delineating class (a boundary, however many pixels thick) counts as one
/// intersection P. Mean intercept length ℓ = L_T / P with L_T the total line length.
/// G = −6.643856·log10(ℓ in mm) − 3.288 (E112, needs the pixel size; no G without it).
public struct InterceptMeasurement: Codable, Equatable, Sendable {
    public var classIndex: Int
    public var className: String
    /// Number of boundary intersections P counted on all test lines.
    public var interceptCount: Int
    public var horizontalLines: Int
    public var verticalLines: Int
    /// Total test-line length L_T in pixels.
    public var lineLengthPx: Double
    /// L_T in µm (nil without a pixel size).
    public var lineLengthUm: Double?
    /// ℓ = L_T / P in pixels (nil when P = 0).
    public var meanInterceptPx: Double?
    /// ℓ in µm (nil without pixel size or when P = 0).
    public var meanInterceptUm: Double?
    /// ASTM E112 grain size number (nil without pixel size or when P = 0).
    public var grainSizeG: Double?
    /// Always "horizontal+vertical grid, boundary runs counted".
    public var testLinePattern: String

    enum CodingKeys: String, CodingKey {
        case classIndex = "class_index", className = "class_name", interceptCount = "intercept_count"
        case horizontalLines = "horizontal_lines", verticalLines = "vertical_lines"
        case lineLengthPx = "line_length_px", lineLengthUm = "line_length_um"
        case meanInterceptPx = "mean_intercept_px", meanInterceptUm = "mean_intercept_um"
        case grainSizeG = "grain_size_g", testLinePattern = "test_line_pattern"
    }
}

public enum InterceptGrainSize {
    /// E112: G from the mean lineal intercept in millimetres.
    public static func grainSizeNumber(meanInterceptMM: Double) -> Double {
        -6.643856 * log10(meanInterceptMM) - 3.288
    }

    /// Rows (or columns) of the test lines across an extent of `size` pixels.
    public static func linePositions(size: Int, count: Int) -> [Int] {
        guard size > 0, count > 0 else { return [] }
        var out: [Int] = []
        for i in 0..<min(count, size) {
            let p = Int((Double(i) + 0.5) * Double(size) / Double(min(count, size)))
            if out.last != p { out.append(min(p, size - 1)) }
        }
        return out
    }

    /// Measures the intercepts of `classIndex` in `labels` (`width·height`, row-major).
    public static func measure(labels: [UInt8], width: Int, height: Int, classIndex: Int,
                               className: String, linesPerDirection: Int,
                               pixelSize: PixelSize?) -> InterceptMeasurement {
        let target = UInt8(truncatingIfNeeded: classIndex)
        let rows = linePositions(size: height, count: linesPerDirection)
        let cols = linePositions(size: width, count: linesPerDirection)
        var p = 0
        labels.withUnsafeBufferPointer { L in
            for y in rows {
                var inside = false
                for x in 0..<width {
                    let hit = L[y * width + x] == target
                    if hit && !inside { p += 1 }
                    inside = hit
                }
            }
            for x in cols {
                var inside = false
                for y in 0..<height {
                    let hit = L[y * width + x] == target
                    if hit && !inside { p += 1 }
                    inside = hit
                }
            }
        }
        let lengthPx = Double(rows.count * width + cols.count * height)
        let um = pixelSize.map { $0.micrometresPerPixel }
        let meanPx: Double? = p > 0 ? lengthPx / Double(p) : nil
        let meanUm: Double? = (meanPx != nil && um != nil) ? meanPx! * um! : nil
        return InterceptMeasurement(
            classIndex: classIndex, className: className, interceptCount: p,
            horizontalLines: rows.count, verticalLines: cols.count,
            lineLengthPx: lengthPx, lineLengthUm: um.map { lengthPx * $0 },
            meanInterceptPx: meanPx, meanInterceptUm: meanUm,
            grainSizeG: meanUm.map { grainSizeNumber(meanInterceptMM: $0 / 1000.0) },
            testLinePattern: "horizontal+vertical grid, boundary runs counted")
    }
}
