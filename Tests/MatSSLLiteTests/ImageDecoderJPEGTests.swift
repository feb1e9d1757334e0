import Testing
@testable import MatSSLLite

@Suite("JPEG decoding")
struct ImageDecoderJPEGTests {
    @Test(arguments: ["gray-baseline.jpg", "im-gray-progressive.jpg"])
    func grayWithinJPEGTolerance(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.format == .jpeg && info.width == Fixture.jpegWidth && info.height == Fixture.jpegHeight)
        #expect(info.channels == 1 && info.bitDepth == 8)
        #expect(Fixture.maxError(image, Fixture.jpegGray) < 0.03)
    }

    @Test(arguments: ["rgb-baseline.jpg", "rgb-progressive.jpg"])
    func rgbBecomesRec601Luma(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.channels == 3 && info.colorModel == "rgb")
        #expect(info.progressive == name.contains("progressive"))
        #expect(Fixture.maxError(image, Fixture.jpegRGBGray) < 0.03)
    }

    @Test func progressiveIsReported() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("im-gray-progressive.jpg")).progressive)
    }

    /// Policy (docs/image-io.md): JFIF density is a display hint, not a physical pixel size.
    @Test func jfifDensityIsNotAPixelSize() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("rgb-300dpi.jpg")).pixelSize == nil)
    }

    @Test func jpegWithPNGExtensionStillDecodesAndIsNoted() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("bad-jpeg-named.png"))
        #expect(info.format == .jpeg)
        #expect(info.note?.contains("content is JPEG") == true)
        #expect(Fixture.maxError(image, Fixture.jpegGray) < 0.03)
    }
}
