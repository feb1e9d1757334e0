import Testing
@testable import MatSSLLite

@Suite("TIFF decoding")
struct ImageDecoderTIFFTests {
    static let gray8 = ["gray8-none.tif", "gray8-lzw.tif", "gray8-deflate.tif", "gray8-packbits.tif", "gray8-tiled-deflate.tif",
                        "res-inch.tif", "res-cm.tif", "res-none.tif", "fei-34682.tif", "zeiss-34118-nm.tif"]

    @Test(arguments: gray8)
    func eightBitGrayDecodesExactly(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.format == .tiff && info.width == Fixture.width && info.height == Fixture.height)
        #expect(info.bitDepth == 8 && info.channels == 1 && info.colorModel == "gray")
        #expect(Fixture.maxError(image) { Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test(arguments: ["gray16-none.tif", "gray16-lzw.tif", "gray16-deflate.tif", "gray16-tiled-lzw.tif", "im-gray16-tiled-zip.tif"])
    func sixteenBitGrayKeepsFullRange(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.bitDepth == 16)
        // value / 65535, no auto-contrast: float32 resolves 1/65535 steps exactly enough.
        #expect(Fixture.maxError(image) { Double(Fixture.p16($0, $1)) / 65535 } < 1e-6)
    }

    @Test func compressionAndTilingAreReported() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-lzw.tif")).compression == "lzw")
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-deflate.tif")).compression == "deflate")
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-packbits.tif")).compression == "packbits")
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-none.tif")).compression == "none")
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray16-tiled-lzw.tif")).tiled)
        #expect(try !ImageDecoder.inspect(path: Fixture.path("gray16-lzw.tif")).tiled)
    }

    @Test func minIsWhiteIsInverted() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("gray8-miniswhite.tif"))
        #expect(info.colorModel == "gray")
        #expect(Fixture.maxError(image) { 1 - Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test(arguments: ["rgb8-lzw.tif", "rgb8-tiled-none.tif", "rgba8-packbits.tif"])
    func rgbBecomesRec601Luminance(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.channels == (name.hasPrefix("rgba") ? 4 : 3))
        #expect(Fixture.maxError(image, Fixture.rgb8Gray) < 1e-5)
    }

    @Test func sixteenBitRGBBecomesLuminance() throws {
        let (image, _) = try ImageDecoder.decode(path: Fixture.path("rgb16-deflate.tif"))
        #expect(Fixture.maxError(image, Fixture.rgb16Gray) < 1e-5)
    }

    /// Separate colour planes (ImageMagick's `-interlace plane`, stripped LZW; tifffile, tiled
    /// 16-bit Deflate) are interleaved band by band.
    @Test func separateColourPlanesBecomeLuminance() throws {
        let (rgb8, info8) = try ImageDecoder.decode(path: Fixture.path("im-rgb8-planar-lzw.tif"))
        #expect(info8.colorModel == "rgb" && info8.channels == 3)
        #expect(Fixture.maxError(rgb8, Fixture.rgb8Gray) < 1e-5)
        let (rgb16, info16) = try ImageDecoder.decode(path: Fixture.path("rgb16-planar-tiled.tif"))
        #expect(info16.bitDepth == 16 && info16.tiled)
        #expect(Fixture.maxError(rgb16, Fixture.rgb16Gray) < 1e-5)
    }

    /// JPEG-in-TIFF as libtiff's tiffcp writes it (YCbCr, 2×2 chroma subsampling): the JPEG codec
    /// hands out RGB. Lossy, so within JPEG error of the pattern, like the plain JPEG fixtures.
    @Test func jpegCompressedYCbCrIsReadAsRGB() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("rgb-jpeg-ycbcr.tif"))
        #expect(info.colorModel == "rgb" && info.compression == "jpeg")
        #expect(image.width == Fixture.jpegWidth && image.height == Fixture.jpegHeight)
        #expect(Fixture.maxError(image, Fixture.jpegRGBGray) < 0.03)
    }

    @Test func paletteUsesColourMapLuminance() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("palette8.tif"))
        #expect(info.colorModel == "palette")
        #expect(Fixture.maxError(image, Fixture.paletteGray) < 1e-5)
    }

    @Test func multiPageDecodesTheFirstPageAndCountsPages() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("multipage3.tif"))
        #expect(info.pages == 3)
        #expect(Fixture.maxError(image) { Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test func rowReaderMatchesWholeDecodeAcrossTileBands() throws {
        for name in ["gray16-tiled-lzw.tif", "rgb8-tiled-none.tif", "gray8-lzw.tif", "im-rgb8-planar-lzw.tif", "rgb16-planar-tiled.tif"] {
            let (whole, _) = try ImageDecoder.decode(path: Fixture.path(name))
            let reader = try ImageDecoder.decodeRows(path: Fixture.path(name))
            var pixels: [Float] = []
            for rows in [5, 1, 11, 7] { pixels += try reader.readRows(rows).pixels }
            #expect(reader.nextRow == Fixture.height)
            #expect(pixels == whole.pixels, "\(name)")
        }
    }
}
