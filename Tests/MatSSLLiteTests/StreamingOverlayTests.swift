import Foundation
import Testing
@testable import MatSSLLite

/// The overlay of a large image is rendered, annotated, thumbnailed and written a band of rows at a
/// time; each piece must give exactly what the whole-image version gives.
@Suite struct StreamingOverlayTests {
    func randomRGB(_ w: Int, _ h: Int, seed: UInt64) -> RGBImage {
        var rng = RandomState(seed: seed)
        return RGBImage(width: w, height: h, pixels: (0..<(w * h * 3)).map { _ in UInt8(rng.next() & 0xFF) })
    }

    func rows(_ im: RGBImage, _ y: Int, _ n: Int) -> RGBImage {
        RGBImage(width: im.width, height: n, pixels: Array(im.pixels[(y * im.width * 3)..<((y + n) * im.width * 3)]))
    }

    func fileBytes(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    @Test(arguments: [1, 7, 50, 400])
    func bandedPNGIsByteIdenticalToTheWholeImagePNG(bandRows: Int) throws {
        let dir = makeTempDirectory()
        let im = randomRGB(61, 50, seed: 3)
        try PNGWriter.writeRGB(im, to: "\(dir)/whole.png")
        var calls: [Int] = []
        try PNGWriter.writeRGB(width: 61, height: 50, bandRows: bandRows, to: "\(dir)/banded.png") { y, n, out in
            calls.append(y)
            #expect(out.count == n * 61 * 3)
            let band = rows(im, y, n)
            for i in 0..<band.pixels.count { out[i] = band.pixels[i] }
        }
        #expect(calls == Array(stride(from: 0, to: 50, by: min(bandRows, 50))), "bands top to bottom, once each")
        #expect(try fileBytes("\(dir)/banded.png") == fileBytes("\(dir)/whole.png"))
    }

    @Test func aFailingBandAbandonsTheFileAndKeepsTheOldOne() throws {
        let dir = makeTempDirectory()
        try PNGWriter.writeRGB(randomRGB(8, 8, seed: 1), to: "\(dir)/o.png")
        let before = try fileBytes("\(dir)/o.png")
        struct SourceGone: Error {}
        #expect(throws: SourceGone.self) {
            try PNGWriter.writeRGB(width: 40, height: 40, bandRows: 8, to: "\(dir)/o.png") { y, _, _ in
                if y >= 16 { throw SourceGone() }
            }
        }
        #expect(directoryEntries(dir) == ["o.png"], "no temp file left behind")
        #expect(try fileBytes("\(dir)/o.png") == before)
    }

    @Test(arguments: [(300, 200, 64), (37, 101, 16), (20, 10, 64), (257, 256, 256), (4096, 3, 256)])
    func thumbnailFromBandsEqualsDownscale(size: (Int, Int, Int)) {
        let (w, h, side) = size
        let im = randomRGB(w, h, seed: UInt64(w * 1000 + h))
        let expected = Thumbnail.downscale(im, maxSide: side)
        for bandRows in [1, 7, h] {
            var acc = ThumbnailAccumulator(sourceWidth: w, sourceHeight: h, maxSide: side)
            var y = 0
            while y < h { let n = min(bandRows, h - y); acc.add(band: rows(im, y, n), top: y); y += n }
            let got = acc.result()
            #expect(got.width == expected.width && got.height == expected.height)
            #expect(got.pixels == expected.pixels, "\(w)×\(h) → \(side), bands of \(bandRows)")
        }
    }

    @Test(arguments: [1, 13, 64, 300])
    func annotatingBandsEqualsAnnotatingTheWholeOverlay(bandRows: Int) {
        let w = 400, h = 300
        let base = randomRGB(w, h, seed: 9)
        let names = ["matrix", "austenite", "martensite/austenite"]
        let size = PixelSize(micrometresPerPixel: 0.5, source: .feiMetadata)
        let options = OverlayAnnotator.Options(textScale: 2, bottomReservedRows: 40)
        var whole = base
        let a = OverlayAnnotator.annotate(&whole, classNames: names, pixelSize: size, options: options)
        #expect(a.legendRect != nil && a.scaleBarRect != nil)
        #expect(whole.pixels != base.pixels)
        var banded: [UInt8] = []
        var y = 0
        while y < h {
            let n = min(bandRows, h - y)
            var band = rows(base, y, n)
            let b = OverlayAnnotator.annotate(band: &band, top: y, imageHeight: h, classNames: names, pixelSize: size,
                                              options: options)
            #expect(b == a, "the layout does not depend on the band")
            banded += band.pixels
            y += n
        }
        #expect(banded == whole.pixels)
    }
}
