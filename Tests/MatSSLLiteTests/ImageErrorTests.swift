import Testing
@testable import MatSSLLite

@Suite("Bad image files give typed errors")
struct ImageErrorTests {
    static let cases: [(String, String)] = [
        ("bad-truncated.jpg", "truncated"), ("bad-truncated-progressive.jpg", "truncated"),
        ("bad-truncated.png", "truncated"), ("bad-truncated.tif", "truncated"), ("bad-truncated-lzw.tif", "truncated"),
        ("bad-zero-bytes.png", "empty"), ("bad-zero-bytes.tif", "empty"),
        ("bad-random-bytes.png", "unsupported"), ("bad-text.tif", "unsupported"),
        ("bad-huge.png", "too-large"), ("bad-huge.tif", "too-large"),
        ("bad-crc.png", "corrupt"), ("bad-float16.tif", "unsupported"),
        ("bad-jpeg-in-bmp.bmp", "unsupported"), ("bad-truncated.bmp", "truncated"),
        ("bad-truncated-rle8.bmp", "truncated"), ("bad-colours-used.bmp", "corrupt"),
        ("bad-truncated-deep.tif", "truncated"),
    ]

    @Test(arguments: cases)
    func decodeThrowsTheRightKindNamingTheFile(name: String, kind: String) {
        let path = Fixture.path(name)
        do {
            _ = try ImageDecoder.decode(path: path)
            Issue.record("\(name) decoded but should fail with \(kind)")
        } catch let error as ImageError {
            #expect(error.kind == kind, "\(error)")
            #expect(error.path == path)
            #expect(error.description.contains(name) && !error.reason.isEmpty)
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test func hugeHeadersAreRefusedWithTheirSize() {
        for name in ["bad-huge.png", "bad-huge.tif"] {
            #expect(throws: ImageError.tooLarge(path: Fixture.path(name), width: 100_000, height: 100_000, limit: 268_435_456)) {
                try ImageDecoder.inspect(path: Fixture.path(name))
            }
        }
    }

    @Test func limitIsConfigurable() {
        #expect(throws: ImageError.tooLarge(path: Fixture.path("gray8.png"), width: 40, height: 24, limit: 959)) {
            try ImageDecoder.decode(path: Fixture.path("gray8.png"), limits: DecodeLimits(maxPixels: 959))
        }
        #expect((try? ImageDecoder.decode(path: Fixture.path("gray8.png"), limits: DecodeLimits(maxPixels: 960))) != nil)
    }

    @Test func strictExtensionModeRefusesMismatches() {
        #expect(throws: ImageError.wrongExtension(path: Fixture.path("bad-jpeg-named.png"), claimed: .png, actual: .jpeg)) {
            try ImageDecoder.decode(path: Fixture.path("bad-jpeg-named.png"), limits: DecodeLimits(requireMatchingExtension: true))
        }
    }

    @Test func missingFilesAndDirectoriesAreUnreadable() {
        for path in [Fixture.path("does-not-exist.png"), Fixture.directory] {
            do { _ = try ImageDecoder.inspect(path: path); Issue.record("no error for \(path)") } catch let e as ImageError {
                #expect(e.kind == "unreadable")
            } catch { Issue.record("\(error)") }
        }
    }

    /// Header-only inspect of a truncated file succeeds (it reads no pixel data); decode catches it.
    @Test func inspectReadsHeadersOnly() throws {
        #expect(try ImageDecoder.inspect(path: Fixture.path("bad-truncated.tif")).width == Fixture.width)
        #expect(try ImageDecoder.inspect(path: Fixture.path("bad-truncated.png")).width == Fixture.width)
    }
}
