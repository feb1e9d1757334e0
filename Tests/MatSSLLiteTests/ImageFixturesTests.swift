import Testing
@testable import MatSSLLite

/// Where the committed fixtures are, and the pixel patterns `scripts/make-fixtures.py` wrote into them.
enum Fixture {
    static let directory: String = {
        let file = "\(#filePath)"
        return String(file[..<file.lastIndex(of: "/")!]) + "/Fixtures/images"
    }()

    static func path(_ name: String) -> String { "\(directory)/\(name)" }

    /// Real data: `<package root>/../shared/data`, nil when absent.
    static let sharedData: String? = {
        let file = "\(#filePath)"
        var root = Substring(file)
        for _ in 0..<3 { root = root[..<root.lastIndex(of: "/")!] }
        let dir = "\(root)/../shared/data"
        return fileExists("\(dir)/metaldam") ? dir : nil
    }()

    static let width = 40, height = 24
    static let jpegWidth = 32, jpegHeight = 24
    static let palette: [(Int, Int, Int)] = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 0, 255), (128, 128, 128)]

    static func p8(_ x: Int, _ y: Int) -> Int { (x * 6 + y * 5) % 256 }
    static func p16(_ x: Int, _ y: Int) -> Int { (x * 1543 + y * 2731 + 7) % 65536 }
    static func luma(_ r: Double, _ g: Double, _ b: Double) -> Double { 0.299 * r + 0.587 * g + 0.114 * b }
    static func rgb8Gray(_ x: Int, _ y: Int) -> Double {
        let p = Double(p8(x, y))
        return luma(p, 255 - p, Double((x * y) % 256)) / 255
    }
    static func rgb16Gray(_ x: Int, _ y: Int) -> Double {
        let p = Double(p16(x, y))
        return luma(p, 65535 - p, Double((x * y * 97) % 65536)) / 65535
    }
    static func low(_ x: Int, _ y: Int, bits: Int) -> Double { Double((x + 2 * y) % (1 << bits)) / Double((1 << bits) - 1) }
    static func paletteGray(_ x: Int, _ y: Int) -> Double {
        let c = palette[(x + 2 * y) % 8]
        return luma(Double(c.0), Double(c.1), Double(c.2)) / 255
    }
    static func jpegGray(_ x: Int, _ y: Int) -> Double { Double(40 + 4 * x + 3 * y) / 255 }
    static func jpegRGBGray(_ x: Int, _ y: Int) -> Double {
        let j = Double(40 + 4 * x + 3 * y)
        return luma(j, 255 - j, 128) / 255
    }
    static func mask(_ x: Int, _ y: Int) -> UInt8 { UInt8((x / 8 + y / 6) % 5) }

    /// Largest |decoded − expected| over the image.
    static func maxError(_ image: GrayImage, _ expected: (Int, Int) -> Double) -> Double {
        var worst = 0.0
        for y in 0..<image.height { for x in 0..<image.width { worst = max(worst, abs(Double(image[x, y]) - expected(x, y))) } }
        return worst
    }
}

func fileExists(_ path: String) -> Bool {
    access(path, F_OK) == 0
}

#if canImport(Glibc)
import Glibc
#endif

@Suite("Image fixtures")
struct ImageFixturesTests {
    @Test func fixturesArePresentAndSmall() throws {
        let names = ["gray8-none.tif", "gray16-tiled-lzw.tif", "rgb8.png", "rgb-progressive.jpg", "bad-huge.tif"]
        for name in names { #expect(access(Fixture.path(name), R_OK) == 0, "missing fixture \(name); run scripts/make-fixtures.py") }
    }
}
