import Testing
@testable import MatSSLLite

@Suite("Pixel size from metadata")
struct ImagePixelSizeTests {
    @Test(arguments: [("res-inch.tif", 0.5), ("res-cm.tif", 0.5)])
    func tiffResolutionInInchAndCentimetre(name: String, um: Double) throws {
        let p = try #require(try ImageDecoder.inspect(path: Fixture.path(name)).pixelSize)
        #expect(abs(p.micrometresPerPixel - um) < 1e-9)
        #expect(p.source == .tiffResolution)
    }

    @Test func resolutionUnitNoneGivesNoPhysicalSize() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("res-none.tif")).pixelSize == nil)
    }

    @Test func feiTagWinsOverResolutionTags() throws {
        let p = try #require(try ImageDecoder.inspect(path: Fixture.path("fei-34682.tif")).pixelSize)
        #expect(p.source == .feiMetadata)
        #expect(abs(p.micrometresPerPixel - 0.0025) < 1e-12)
    }

    @Test(arguments: [("zeiss-34118-nm.tif", 0.0025), ("zeiss-34118-um-latin1.tif", 1.25)])
    func zeissTagWithUnits(name: String, um: Double) throws {
        let p = try #require(try ImageDecoder.inspect(path: Fixture.path(name)).pixelSize)
        #expect(p.source == .zeissMetadata)
        #expect(abs(p.micrometresPerPixel - um) < 1e-12)
    }

    @Test func pngPhysInMetres() throws {
        let p = try #require(try ImageDecoder.inspect(path: Fixture.path("phys-0.5um.png")).pixelSize)
        #expect(p.source == .pngPhys && abs(p.micrometresPerPixel - 0.5) < 1e-9)
    }

    @Test func filesWithoutMetadataHaveNoPixelSize() throws {
        for name in ["gray8.png", "gray8-none.tif", "rgb-baseline.jpg"] {
            #expect(try ImageDecoder.inspect(path: Fixture.path(name)).pixelSize == nil, "\(name)")
        }
    }

    @Test func parsersRefuseWhatTheyCannotRead() {
        #expect(PixelSizeParser.fei("[Scan]\nPixelWidth=abc\n") == nil)
        #expect(PixelSizeParser.fei("[Beam]\nPixelWidth=1e-9\n") == nil) // not in [Scan]
        #expect(PixelSizeParser.fei("[Scan]\r\nPixelWidth=-1e-9\r\n") == nil)
        #expect(PixelSizeParser.fei("[Scan]\nPixelWidth=1.5e-08\n") == 0.015)
        #expect(PixelSizeParser.fei("[Scan]\nPixelWidth=5e-08\n") == 0.05)
        #expect(PixelSizeParser.zeiss("Image Pixel Size = 2.233 nm") == 0.002233)
        #expect(PixelSizeParser.zeiss("Image Pixel Size = 2.5") == nil) // no unit: never guess
        #expect(PixelSizeParser.zeiss("Image Pixel Size = 2.5 furlongs") == nil)
        #expect(PixelSizeParser.zeiss("AP_IMAGE_PIXEL_SIZE\nImage Pixel Size = 300 pm\n").map { abs($0 - 0.0003) < 1e-15 } == true)
        #expect(PixelSizeParser.lengthInMicrometres("1.5e1 nm").map { abs($0 - 0.015) < 1e-15 } == true)
        #expect(PixelSizeParser.lengthInMicrometres("2 mm") == 2000)
    }
}

/// The data bar height an FEI/Thermo file records: its height minus the scanned frame's.
@Suite struct DataBarMetadataTests {
    @Test func feiFrameHeightGivesTheBar() {
        let text = "[User]\r\nDate=1\r\n[Image]\r\nResolutionX=1536\r\nResolutionY=1024\r\n[Scan]\r\nPixelWidth=1e-9\r\n"
        #expect(DataBarParser.fei(text, imageHeight: 1094) == 70)
        #expect(DataBarParser.fei(text, imageHeight: 1024) == 0)    // saved without the bar
        #expect(DataBarParser.fei(text, imageHeight: 1000) == nil)  // frame taller than the image: not believed
        #expect(DataBarParser.fei("[Scan]\nResolutionY=20\n", imageHeight: 24) == nil)  // not in [Image]
        #expect(DataBarParser.fei("[Image]\nResolutionY=abc\n", imageHeight: 24) == nil)
        #expect(DataBarParser.fei("[Image]\nResolutionX=40\n", imageHeight: 24) == nil)
    }

    @Test func theFixtureWrittenByTifffileCarriesItsBar() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("fei-databar.tif")).dataBarRows == 4)
        #expect(try ImageDecoder.decodeRows(path: Fixture.path("fei-databar.tif")).info.dataBarRows == 4)
        #expect(try ImageDecoder.inspect(path: Fixture.path("fei-34682.tif")).dataBarRows == nil) // no [Image] section
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-none.tif")).dataBarRows == nil)
    }
}
