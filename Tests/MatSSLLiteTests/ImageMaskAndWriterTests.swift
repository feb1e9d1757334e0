import Testing
@testable import MatSSLLite
#if canImport(Glibc)
import Glibc
#endif

/// A fresh empty directory under /tmp for one test.
func makeTempDirectory() -> String {
    var template = Array("/tmp/matssl-image-test-XXXXXX".utf8CString)
    let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    return String(cString: p!)
}

func directoryEntries(_ dir: String) -> [String] {
    guard let d = opendir(dir) else { return [] }
    defer { closedir(d) }
    var names: [String] = []
    while let e = readdir(d) {
        let name = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
}

@Suite("Masks, PNG writing, overlays")
struct ImageMaskAndWriterTests {
    static let classColours = [RGB8(r: 0, g: 0, b: 0), RGB8(r: 255, g: 0, b: 0), RGB8(r: 0, g: 255, b: 0),
                               RGB8(r: 0, g: 0, b: 255), RGB8(r: 255, g: 255, b: 0)]

    @Test(arguments: ["mask-gray8.png", "mask-palette.png"])
    func masksReadAsClassIds(name: String) throws {
        let m = try MaskCodec.read(path: Fixture.path(name))
        #expect(m.width == Fixture.width && m.height == Fixture.height)
        for y in 0..<m.height { for x in 0..<m.width where m[x, y] != Fixture.mask(x, y) {
            Issue.record("\(name) (\(x),\(y)) = \(m[x, y]), expected \(Fixture.mask(x, y))"); return
        } }
    }

    @Test(arguments: ["mask-gray16.png", "rgb8.png", "gray-baseline.jpg"])
    func nonIndexMasksAreRefused(name: String) {
        #expect(throws: ImageError.self) { try MaskCodec.read(path: Fixture.path(name)) }
        do { _ = try MaskCodec.read(path: Fixture.path(name)) } catch let e as ImageError { #expect(e.kind == "unsupported", "\(e)") } catch {}
    }

    @Test func palettePNGRoundTripsAndLeavesNoTempFiles() throws {
        let dir = makeTempDirectory()
        let mask = LabelMask(width: 7, height: 5, labels: (0..<35).map { UInt8($0 % 5) })
        let path = "\(dir)/mask.png"
        try MaskCodec.writePalettePNG(mask, palette: Self.classColours, to: path)
        try MaskCodec.writePalettePNG(mask, palette: Self.classColours, to: path) // replaces atomically
        #expect(try MaskCodec.read(path: path) == mask)
        let info = try ImageDecoder.inspect(path: path)
        #expect(info.colorModel == "palette" && info.bitDepth == 8)
        // Decoding it as an image shows the palette colours' luminance.
        let (gray, _) = try ImageDecoder.decode(path: path)
        #expect(abs(gray[1, 0] - Float(0.299)) < 1e-6 && abs(gray[4, 0] - Float(0.886)) < 1e-6)
        #expect(directoryEntries(dir) == ["mask.png"])
    }

    @Test func labelWithoutPaletteColourIsAnInputError() {
        let dir = makeTempDirectory()
        let mask = LabelMask(width: 2, height: 1, labels: [0, 9])
        #expect(throws: ImageError.self) { try MaskCodec.writePalettePNG(mask, palette: Self.classColours, to: "\(dir)/m.png") }
        #expect(directoryEntries(dir).isEmpty)
    }

    @Test func grayPNGWritersRoundTrip() throws {
        let dir = makeTempDirectory()
        let img16 = GrayImage(width: 9, height: 4, pixels: (0..<36).map { Float($0 * 1800) / 65535 })
        try PNGWriter.writeGray16(img16, to: "\(dir)/g16.png")
        let (back16, info16) = try ImageDecoder.decode(path: "\(dir)/g16.png")
        #expect(info16.bitDepth == 16 && zip(back16.pixels, img16.pixels).allSatisfy { abs($0 - $1) < 1e-6 })
        let img8 = GrayImage(width: 9, height: 4, pixels: (0..<36).map { Float($0 * 7) / 255 })
        try PNGWriter.writeGray8(img8, to: "\(dir)/g8.png")
        let (back8, _) = try ImageDecoder.decode(path: "\(dir)/g8.png")
        #expect(zip(back8.pixels, img8.pixels).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func overlayBlendsPaletteOverGray() throws {
        let image = GrayImage(width: 3, height: 1, pixels: [0, 0.5, 1])
        let mask = LabelMask(width: 3, height: 1, labels: [1, 2, 7])
        let none = OverlayRenderer.render(image: image, mask: mask, palette: Self.classColours, alpha: 0)
        #expect(none.pixels == [0, 0, 0, 128, 128, 128, 255, 255, 255])
        let full = OverlayRenderer.render(image: image, mask: mask, palette: Self.classColours, alpha: 1)
        #expect(full[0, 0] == RGB8(r: 255, g: 0, b: 0) && full[1, 0] == RGB8(r: 0, g: 255, b: 0))
        #expect(full[2, 0] == RGB8(r: 255, g: 255, b: 255)) // label 7 has no colour: plain gray
        let half = OverlayRenderer.render(image: image, mask: mask, palette: Self.classColours, alpha: 0.5)
        #expect(half[0, 0] == RGB8(r: 128, g: 0, b: 0))
        let dir = makeTempDirectory()
        try PNGWriter.writeRGB(half, to: "\(dir)/o.png")
        let info = try ImageDecoder.inspect(path: "\(dir)/o.png")
        #expect(info.colorModel == "rgb" && info.width == 3)
    }

    @Test func atomicWriterReplacesAndCleansUpOnFailure() throws {
        let dir = makeTempDirectory()
        try AtomicFileWriter.write(text: "one", to: "\(dir)/a.txt")
        try AtomicFileWriter.write(text: "two", to: "\(dir)/a.txt")
        struct Boom: Error {}
        #expect(throws: Boom.self) { try AtomicFileWriter.write(to: "\(dir)/a.txt") { tmp in
            _ = try? AtomicFileWriter.write(text: "partial", to: tmp); throw Boom()
        } }
        #expect(directoryEntries(dir) == ["a.txt"])
        let fd = open("\(dir)/a.txt", O_RDONLY); defer { close(fd) }
        var buf = [UInt8](repeating: 0, count: 16)
        let n = read(fd, &buf, 16)
        #expect(String(decoding: buf[0..<max(0, n)], as: UTF8.self) == "two")
    }
}
