import Foundation
import Testing
@testable import MatSSLLite

@Suite struct OverlayAnnotatorTests {
    func grayImage(_ w: Int, _ h: Int, value: UInt8 = 128) -> RGBImage {
        RGBImage(width: w, height: h, pixels: [UInt8](repeating: value, count: w * h * 3))
    }

    func pixel(_ im: RGBImage, _ x: Int, _ y: Int) -> RGB8 {
        let i = (y * im.width + x) * 3
        return RGB8(r: im.pixels[i], g: im.pixels[i + 1], b: im.pixels[i + 2])
    }

    @Test func niceLengthsAreOneTwoFiveTimesPowersOfTen() {
        #expect(OverlayAnnotator.niceLength(atMost: 23) == 20)
        #expect(OverlayAnnotator.niceLength(atMost: 7.3) == 5)
        #expect(OverlayAnnotator.niceLength(atMost: 100) == 100)
        #expect(OverlayAnnotator.niceLength(atMost: 1.9) == 1)
        #expect(abs(OverlayAnnotator.niceLength(atMost: 0.13)! - 0.1) < 1e-15)
        #expect(OverlayAnnotator.niceLength(atMost: 0) == nil)
        #expect(OverlayAnnotator.lengthLabel(micrometres: 20) == "20 \u{00B5}m")
        #expect(OverlayAnnotator.lengthLabel(micrometres: 0.5) == "0.5 \u{00B5}m")
        #expect(OverlayAnnotator.lengthLabel(micrometres: 2000) == "2 mm")
    }

    @Test func fontCoversPrintableASCIIAndMicro() {
        for v in 32...126 {
            let ch = Character(UnicodeScalar(UInt8(v)))
            #expect(BitmapFont.glyphs[ch] != nil, "no glyph for \(ch)")
        }
        #expect(BitmapFont.glyph("µ") != BitmapFont.missing)
        #expect(BitmapFont.glyph("\u{03BC}") == BitmapFont.glyph("\u{00B5}"))
        #expect(BitmapFont.glyph("€") == BitmapFont.missing)
        // Accented letters (UHCS's "Widmanstätten cementite") draw as their base letters.
        #expect(BitmapFont.glyph("ä") == BitmapFont.glyph("a") && BitmapFont.glyph("É") == BitmapFont.glyph("E"))
        #expect(BitmapFont.glyph("ä") != BitmapFont.missing)
        #expect(BitmapFont.width(of: "ab", scale: 2) == 22)
    }

    @Test func scaleBarHasTheNiceLengthInPixels() throws {
        var im = grayImage(400, 300)
        let a = OverlayAnnotator.annotate(&im, classNames: ["matrix", "ferrite"],
                                          pixelSize: PixelSize(micrometresPerPixel: 0.5, source: .feiMetadata),
                                          options: .init(textScale: 1))
        // Target 0.2 · 400 px · 0.5 µm = 40 µm → 20 µm → 40 px.
        #expect(a.scaleBarLengthUm == 20 && a.scaleBarLengthPx == 40 && a.scaleBarLabel == "20 µm")
        let r = try #require(a.scaleBarRect)
        #expect(r.x + r.width < 400 && r.y + r.height < 300)
        for x in r.x..<(r.x + r.width) { #expect(pixel(im, x, r.y + 1) == RGB8(r: 0, g: 0, b: 0)) }
        // The pixels just outside the bar's ends are the light background, so the length is exact.
        #expect(pixel(im, r.x - 1, r.y + 1) != RGB8(r: 0, g: 0, b: 0))
        #expect(pixel(im, r.x + r.width, r.y + 1) != RGB8(r: 0, g: 0, b: 0))
    }

    @Test func legendShowsEachClassColour() throws {
        var im = grayImage(300, 200)
        let palette = [RGB8(r: 200, g: 0, b: 0), RGB8(r: 0, g: 0, b: 200)]
        let a = OverlayAnnotator.annotate(&im, classNames: ["matrix", "carbide"], palette: palette,
                                          pixelSize: nil, options: .init(textScale: 2))
        #expect(a.scaleBarLengthPx == nil && a.scaleBarLabel == nil)
        let L = try #require(a.legendRect)
        var seen = Set<RGB8>()
        for y in L.y..<(L.y + L.height) { for x in L.x..<(L.x + L.width) { seen.insert(pixel(im, x, y)) } }
        #expect(seen.contains(palette[0]) && seen.contains(palette[1]) && seen.contains(RGB8(r: 0, g: 0, b: 0)))
        // Outside the legend the image is untouched.
        #expect(pixel(im, 299, 199) == RGB8(r: 128, g: 128, b: 128))
    }

    @Test func scaleBarStaysAboveReservedDataBar() throws {
        var im = grayImage(256, 256, value: 77)
        let a = OverlayAnnotator.annotate(&im, classNames: ["a"], pixelSize: PixelSize(micrometresPerPixel: 1, source: .config),
                                          options: .init(textScale: 1, bottomReservedRows: 40))
        #expect(try #require(a.scaleBarRect).y < 216)
        for y in 216..<256 { for x in 0..<256 { #expect(pixel(im, x, y) == RGB8(r: 77, g: 77, b: 77)) } }
    }

    @Test func tinyImagesAreClippedNotCrashed() {
        var im = grayImage(3, 2)
        OverlayAnnotator.annotate(&im, classNames: ["a very long class name"],
                                  pixelSize: PixelSize(micrometresPerPixel: 1, source: .config))
        #expect(im.pixels.count == 18)
        var empty = RGBImage(width: 0, height: 0, pixels: [])
        OverlayAnnotator.annotate(&empty, classNames: ["a"], pixelSize: nil)
    }

    /// Writes a sample overlay as PPM when MATSSL_OVERLAY_SAMPLE names a path (for looking at it).
    @Test func sampleOverlayForInspection() throws {
        let m = SyntheticMask.discs(width: 640, height: 480,
                                    [(100, 100, 40, 1), (400, 200, 70, 2), (200, 350, 30, 1), (560, 420, 50, 2)])
        var im = grayImage(640, 480)
        let pal = OverlayAnnotator.defaultPalette
        for i in 0..<(640 * 480) {
            let c = pal[Int(m.labels[i])]
            im.pixels[3 * i] = UInt8((Int(c.r) + 128) / 2)
            im.pixels[3 * i + 1] = UInt8((Int(c.g) + 128) / 2)
            im.pixels[3 * i + 2] = UInt8((Int(c.b) + 128) / 2)
        }
        let a = OverlayAnnotator.annotate(&im, classNames: ["matrix", "ferrite", "cementite µ-test"],
                                          pixelSize: PixelSize(micrometresPerPixel: 0.37, source: .feiMetadata),
                                          options: .init(textScale: 2))
        #expect(a.scaleBarLabel == "20 µm")   // 0.2 · 640 · 0.37 = 47.4 µm → 20 µm
        if let path = ProcessInfo.processInfo.environment["MATSSL_OVERLAY_SAMPLE"] {
            var d = Data("P6\n\(im.width) \(im.height)\n255\n".utf8)
            d.append(contentsOf: im.pixels)
            try d.write(to: URL(fileURLWithPath: path))
        }
    }
}
