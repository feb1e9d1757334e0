import Foundation
import Testing
@testable import MatSSLLite

/// Which raw sample values become black and white (`IntensityPolicy`), on files written by tifffile
/// (`scripts/make-fixtures.py deep`): 12-bit detector data in 16-bit files, declared ranges, signed
/// and floating-point samples.
@Suite("Intensity range of deep, signed and float images")
struct IntensityRangeTests {
    static func p12(_ x: Int, _ y: Int) -> Double { Double((x * 97 + y * 131) % 4096) }
    static func p10(_ x: Int, _ y: Int) -> Double { Double((x * 37 + y * 53) % 1024) }

    static func decode(_ name: String, _ policy: IntensityPolicy = .auto) throws -> (GrayImage, ImageInfo) {
        try ImageDecoder.decode(path: Fixture.path(name), limits: DecodeLimits(intensity: policy))
    }

    @Test func twelveBitDataInSixteenBitsIsReadAsTwelveBit() throws {
        let (image, info) = try Self.decode("gray12-in16.tif")
        #expect(info.bitDepth == 16 && info.sampleFormat == "uint")
        #expect(info.intensityRange == IntensityRange(low: 0, high: 4095, source: .dataMaximum))
        #expect(Fixture.maxError(image) { Self.p12($0, $1) / 4095 } < 1e-6)
        // "storage" keeps the old reading: the same image nearly black.
        let (dark, darkInfo) = try Self.decode("gray12-in16.tif", .storage)
        #expect(darkInfo.intensityRange == IntensityRange(low: 0, high: 65535, source: .storage))
        #expect(Fixture.maxError(dark) { Self.p12($0, $1) / 65535 } < 1e-6)
        #expect(dark.pixels.max()! < 0.0625)
    }

    @Test func fullRangeSixteenBitDataStaysFullScale() throws {
        // The data pass stops at the first band above 14 bits; the answer must still be full scale.
        let (image, info) = try Self.decode("gray16-none.tif")
        #expect(info.intensityRange == IntensityRange(low: 0, high: 65535, source: .storage))
        #expect(Fixture.maxError(image) { Double(Fixture.p16($0, $1)) / 65535 } < 1e-6)
    }

    @Test func aDeclaredMaxSampleValueWinsOverTheData() throws {
        // 10-bit values, MaxSampleValue = 4095: read against 4095 (the file says so), not 1023.
        let (image, info) = try Self.decode("gray16-maxsample4095.tif")
        #expect(info.intensityRange == IntensityRange(low: 0, high: 4095, source: .fileTag))
        #expect(Fixture.maxError(image) { Self.p10($0, $1) / 4095 } < 1e-6)
    }

    @Test func anExplicitRangeIsUsedAsGiven() throws {
        let (image, info) = try Self.decode("gray12-in16.tif", .fixed(low: 1000, high: 3000))
        #expect(info.intensityRange == IntensityRange(low: 1000, high: 3000, source: .config))
        #expect(Fixture.maxError(image) { min(1, max(0, (Self.p12($0, $1) - 1000) / 2000)) } < 1e-6)
    }

    @Test func floatImagesInZeroToOneStayAsTheyAre() throws {
        let (image, info) = try Self.decode("float32-unit.tif")
        #expect(info.sampleFormat == "float" && info.bitDepth == 32)
        #expect(info.intensityRange == IntensityRange(low: 0, high: 1, source: .storage))
        #expect(Fixture.maxError(image) { Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test func floatImagesOfEightBitValuesAreReadAsEightBit() throws {
        let (image, info) = try Self.decode("float32-8bit-range.tif")
        #expect(info.intensityRange == IntensityRange(low: 0, high: 255, source: .dataMaximum))
        #expect(Fixture.maxError(image) { Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test func notANumberPixelsAreBlackAndDoNotSetTheRange() throws {
        let (image, info) = try Self.decode("float32-nan.tif")
        #expect(info.intensityRange == IntensityRange(low: 0, high: 255, source: .dataMaximum))
        #expect(image.pixels.allSatisfy { $0.isFinite })
        #expect(Fixture.maxError(image) { Fixture.p8($0, $1) > 250 ? 0 : Double(Fixture.p8($0, $1)) / 255 } < 1e-6)
    }

    @Test func negativeValuesMapFromTheDataMinimumToItsMaximum() throws {
        let (image, info) = try Self.decode("float64-negative.tif")
        let values = (0..<Fixture.height).flatMap { y in (0..<Fixture.width).map { x in Double(Fixture.p8(x, y)) - 100 } }
        let lo = values.min()!, hi = values.max()!
        #expect(info.sampleFormat == "float" && info.bitDepth == 64)
        #expect(info.intensityRange == IntensityRange(low: lo, high: hi, source: .dataMinMax))
        #expect(Fixture.maxError(image) { (Double(Fixture.p8($0, $1)) - 100 - lo) / (hi - lo) } < 1e-6)
    }

    @Test func signedSixteenBitWithoutNegativesIsReadByItsDepth() throws {
        let (image, info) = try Self.decode("int16-signed12.tif")
        #expect(info.sampleFormat == "int")
        #expect(info.intensityRange == IntensityRange(low: 0, high: 4095, source: .dataMaximum))
        #expect(Fixture.maxError(image) { Self.p12($0, $1) / 4095 } < 1e-6)
    }

    @Test func eightBitImagesKeepFullScaleAndNeedNoDataPass() throws {
        for name in ["gray8-none.tif", "gray8.png", "gray-baseline.jpg", "palette8.tif", "gray8-miniswhite.tif"] {
            // Header-only inspection cannot scan pixels; these resolve without it.
            let info = try ImageDecoder.inspect(path: Fixture.path(name))
            #expect(info.intensityRange?.source == .storage, "\(name)")
        }
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray8-none.tif")).intensityRange == IntensityRange(low: 0, high: 255, source: .storage))
        // A deep image's range depends on its data: unknown from the header alone.
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray12-in16.tif")).intensityRange == nil)
        #expect(try ImageDecoder.inspect(path: Fixture.path("gray16-maxsample4095.tif")).intensityRange?.source == .fileTag)
    }

    @Test func aSecondReaderReusesTheResolvedRange() throws {
        let first = try ImageDecoder.decodeRows(path: Fixture.path("gray12-in16.tif"))
        let a = try first.readRows(Fixture.height)
        let limits = DecodeLimits.default.reusingIntensity(of: first.info)
        #expect(limits.intensity == .fixed(low: 0, high: 4095))
        let b = try ImageDecoder.decodeRows(path: Fixture.path("gray12-in16.tif"), limits: limits).readRows(Fixture.height)
        #expect(a.pixels == b.pixels)
    }

    /// The data pass of a truncated deep image fails inside the reader's initialiser; the daemon
    /// retries such files, so the failure must not leave a descriptor open.
    @Test func aFailedDataPassLeaksNoFileDescriptor() throws {
        func openDescriptors() -> Int { (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1 }
        let before = openDescriptors()
        for _ in 0..<200 {
            #expect(throws: ImageError.self) { try ImageDecoder.decodeRows(path: Fixture.path("bad-truncated-deep.tif")) }
        }
        #expect(openDescriptors() <= before + 2, "descriptors \(before) → \(openDescriptors())")
    }

    @Test func policiesParseAndPrint() throws {
        #expect(try IntensityPolicy(parsing: "auto") == .auto)
        #expect(try IntensityPolicy(parsing: "storage") == .storage)
        #expect(try IntensityPolicy(parsing: " 0 : 4095 ") == .fixed(low: 0, high: 4095))
        #expect(try IntensityPolicy(parsing: "-1.5:2.5") == .fixed(low: -1.5, high: 2.5))
        #expect(IntensityPolicy.fixed(low: 0, high: 4095).description == "0:4095")
        #expect(IntensityPolicy.fixed(low: -1.5, high: 2.5).description == "-1.5:2.5")
        for bad in ["", "4095:0", "1:1", "a:b", "4095", "0:nan", "0:inf", "1:2:3", "Auto"] {
            #expect(throws: IntensityPolicyError.self, "\(bad)") { try IntensityPolicy(parsing: bad) }
        }
    }

    /// The "auto" rules on their own, for data the fixtures do not cover.
    @Test func autoRulesPickTheSmallestCommonDepthThatHoldsTheData() throws {
        func auto(_ format: String, bits: Int, high: Double, data: (Double, Double)?) throws -> IntensityRange? {
            let s = IntensityPolicy.Storage(sampleFormat: format, bitDepth: bits, isPalette: false, low: 0, high: high)
            return try IntensityPolicy.auto.resolve(s, dataRange: { data.map { (min: $0.0, max: $0.1) } })
        }
        let u16 = 65535.0
        #expect(try auto("uint", bits: 16, high: u16, data: (0, 200)) == IntensityRange(low: 0, high: 255, source: .dataMaximum))
        #expect(try auto("uint", bits: 16, high: u16, data: (3, 1023)) == IntensityRange(low: 0, high: 1023, source: .dataMaximum))
        #expect(try auto("uint", bits: 16, high: u16, data: (0, 16383)) == IntensityRange(low: 0, high: 16383, source: .dataMaximum))
        #expect(try auto("uint", bits: 16, high: u16, data: (0, 16384)) == IntensityRange(low: 0, high: u16, source: .storage))
        #expect(try auto("uint", bits: 32, high: 4_294_967_295, data: (0, 70_000)) == IntensityRange(low: 0, high: 70_000, source: .dataMaximum))
        #expect(try auto("int", bits: 16, high: 32767, data: (0, 20_000)) == IntensityRange(low: 0, high: 32767, source: .storage))
        #expect(try auto("float", bits: 32, high: 1, data: (0, 0.5)) == IntensityRange(low: 0, high: 1, source: .storage))
        #expect(try auto("float", bits: 32, high: 1, data: (0, 3.5)) == IntensityRange(low: 0, high: 255, source: .dataMaximum))
        #expect(try auto("float", bits: 32, high: 1, data: (-2, 2)) == IntensityRange(low: -2, high: 2, source: .dataMinMax))
        #expect(try auto("float", bits: 32, high: 1, data: (-2, -2)) == IntensityRange(low: 0, high: 1, source: .storage))
        #expect(try auto("float", bits: 32, high: 1, data: nil) == IntensityRange(low: 0, high: 1, source: .storage), "no finite value")
        // Without a data pass (header-only), "auto" cannot tell for deep data.
        let s = IntensityPolicy.Storage(sampleFormat: "uint", bitDepth: 16, isPalette: false, low: 0, high: u16)
        #expect(try IntensityPolicy.auto.resolve(s, dataRange: nil) == nil)
        #expect(try IntensityPolicy.storage.resolve(s, dataRange: nil) == IntensityRange(low: 0, high: u16, source: .storage))
    }
}
