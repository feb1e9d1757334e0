import Testing
@testable import MatSSLLite

@Suite("PNG decoding")
struct ImageDecoderPNGTests {
    @Test(arguments: ["gray8.png", "gray8-interlaced.png", "gray-alpha8.png"])
    func eightBitGray(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.format == .png && info.width == Fixture.width && info.height == Fixture.height && info.bitDepth == 8)
        #expect(Fixture.maxError(image) { Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test func interlacingAndAlphaAreReported() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-interlaced.png")).interlaced)
        let ga = try ImageDecoder.inspect(path: Fixture.path("gray-alpha8.png"))
        #expect(ga.colorModel == "gray+alpha" && ga.channels == 2)
    }

    @Test(arguments: [1, 2, 4])
    func lowBitGrayIsScaledToFullRange(bits: Int) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("gray\(bits).png"))
        #expect(info.bitDepth == bits)
        #expect(Fixture.maxError(image) { Fixture.low($0, $1, bits: bits) } < 1e-6)
    }

    @Test func sixteenBitGrayKeepsFullRange() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("gray16.png"))
        #expect(info.bitDepth == 16)
        #expect(Fixture.maxError(image) { Double(Fixture.p16($0, $1)) / 65535 } < 1e-6)
    }

    @Test(arguments: ["rgb8.png", "rgba8.png"])
    func rgbIgnoresAlphaAndUsesRec601(name: String) throws {
        let (image, _) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(Fixture.maxError(image, Fixture.rgb8Gray) < 1e-5)
    }

    @Test func sixteenBitRGB() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("rgb16.png"))
        #expect(info.bitDepth == 16 && info.channels == 3)
        #expect(Fixture.maxError(image, Fixture.rgb16Gray) < 1e-5)
    }

    @Test(arguments: ["palette8.png", "palette4.png"])
    func paletteBecomesLuminanceOfItsColours(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.colorModel == "palette")
        #expect(info.bitDepth == (name == "palette8.png" ? 8 : 4))
        #expect(Fixture.maxError(image, Fixture.paletteGray) < 1e-5)
    }

    @Test func rowReaderOnInterlacedPNGMatchesWholeDecode() throws {
        let (whole, _) = try ImageDecoder.decode(path: Fixture.path("gray8-interlaced.png"))
        let reader = try ImageDecoder.decodeRows(path: Fixture.path("gray8-interlaced.png"))
        let a = try reader.readRows(10), b = try reader.readRows(14)
        #expect(a.pixels + b.pixels == whole.pixels)
    }
}
