import Testing
@testable import MatSSLLite

/// Windows bitmaps written by Pillow and ImageMagick (`scripts/make-fixtures.py bmps`).
@Suite("BMP decoding")
struct ImageDecoderBMPTests {
    @Test(arguments: ["gray8.bmp", "im-os2-gray8.bmp", "topdown-gray8.bmp"])
    func eightBitGrayDecodesExactlyWhateverTheHeaderAndRowOrder(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.format == .bmp && info.width == Fixture.width && info.height == Fixture.height)
        #expect(info.bitDepth == 8 && info.colorModel == "palette" && info.pages == 1 && info.compression == nil)
        #expect(info.intensityRange == IntensityRange(low: 0, high: 255, source: .storage))
        #expect(Fixture.maxError(image) { Double(Fixture.p8($0, $1)) / 255 } < 1e-5)
    }

    @Test(arguments: [("palette8.bmp", 8), ("im-palette4.bmp", 4), ("im-rle8.bmp", 8), ("rle4.bmp", 4)])
    func paletteBecomesTheLumaOfItsColoursAlsoRunLengthEncoded(name: String, bits: Int) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.colorModel == "palette" && info.bitDepth == bits)
        #expect(Fixture.maxError(image) { Fixture.paletteGray($0, $1) } < 1e-5)
    }

    @Test func oneBitImagesAreBlackAndWhite() throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path("gray1.bmp"))
        #expect(info.bitDepth == 1)
        #expect(Fixture.maxError(image) { Fixture.low($0, $1, bits: 1) } < 1e-6)
    }

    @Test(arguments: ["rgb24.bmp", "rgba32.bmp"])
    func colourBecomesRec601LumaAndAlphaIsIgnored(name: String) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.colorModel == "rgb" && info.channels == (name == "rgb24.bmp" ? 3 : 4) && info.bitDepth == 8)
        #expect(Fixture.maxError(image) { Fixture.rgb8Gray($0, $1) } < 1e-5)
    }

    /// 16-bit pixels keep 5 or 6 bits per channel: the error is the quantisation's (≤ 8.2/255 per
    /// channel before the luma weights), a wrong mask or shift would be off by far more.
    @Test(arguments: [("im-rgb565.bmp", 6), ("im-rgb555.bmp", 5)])
    func sixteenBitBitFieldsAreScaledToFullRange(name: String, greenBits: Int) throws {
        let (image, info) = try ImageDecoder.decode(path: Fixture.path(name))
        #expect(info.colorModel == "rgb" && info.bitDepth == greenBits)
        #expect(Fixture.maxError(image) { Fixture.rgb8Gray($0, $1) } < 8.5 / 255)
    }

    @Test func rowBandsMatchTheWholeImage() throws {
        for name in ["gray8.bmp", "topdown-gray8.bmp", "im-rgb565.bmp", "im-rle8.bmp"] {
            let whole = try ImageDecoder.decode(path: Fixture.path(name)).0
            let reader = try ImageDecoder.decodeRows(path: Fixture.path(name))
            var rows: [Float] = []
            for n in [5, 1, 11, 7] { rows += try reader.readRows(n).pixels }
            #expect(rows == whole.pixels, "\(name)")
        }
    }

    @Test func signatureNeedsAKnownInfoHeaderSize() {
        var bytes: [UInt8] = [0x42, 0x4D] + [UInt8](repeating: 0, count: 14)
        bytes[14] = 40
        #expect(ImageFormat.detect(magic: bytes) == .bmp)
        bytes[14] = 124
        #expect(ImageFormat.detect(magic: bytes) == .bmp)
        bytes[14] = 41 // "BM" followed by something else: not a bitmap
        #expect(ImageFormat.detect(magic: bytes) == nil)
        #expect(ImageFormat.claimed(byPath: "/x/SEM_0001.BMP") == .bmp)
    }

    @Test func aBitmapIsNotAcceptedAsALabelMask() {
        do {
            _ = try MaskCodec.read(path: Fixture.path("gray8.bmp"))
            Issue.record("a BMP was read as a mask")
        } catch let error as ImageError {
            #expect(error.kind == "unsupported" && error.reason.contains("PNG or TIFF"), "\(error)")
        } catch {
            Issue.record("untyped error \(error)")
        }
    }
}
