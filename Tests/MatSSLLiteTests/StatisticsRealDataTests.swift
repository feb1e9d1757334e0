import Foundation
import Testing
@testable import MatSSLLite

/// Statistics on real MetalDAM masks (skipped without ../shared/data).
@Suite("Statistics on real MetalDAM masks", .enabled(if: Fixture.sharedData != nil, "../shared/data is absent"))
struct StatisticsRealDataTests {
    let names = ["matrix", "austenite", "martensite/austenite", "precipitate", "defect"]

    func mask(_ n: Int) throws -> LabelMask {
        try MaskCodec.read(path: "\(Fixture.sharedData!)/metaldam/labeled/masks/micrograph\(n).png")
    }

    @Test func invariantsHoldOnARealMask() throws {
        let m = try mask(10)
        let (s, objs) = try PhaseStatistics.computeWithObjects(
            mask: m, classNames: names, pixelSize: PixelSize(micrometresPerPixel: 0.1, source: .config),
            provenance: ImageProvenance(image: "micrograph10.png"))
        #expect(abs(s.classes.map(\.areaFraction).reduce(0, +) - 1) < 1e-9)
        for c in s.classes {
            // Objects partition each class's pixels.
            #expect(objs.filter { $0.classIndex == c.classIndex }.map(\.areaPx).reduce(0, +) == c.areaPx)
            if let o = c.objects { #expect(o.countTotal == objs.filter { $0.classIndex == c.classIndex }.count) }
        }
        #expect(s.classes[1].objects!.countTotal > 0)
    }

    @Test func runLabellingMatchesFloodFillOnARealCrop() throws {
        let m = try mask(11)
        let w = 200, h = 150, x0 = 300, y0 = 200
        var l = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w { l[y * w + x] = m.labels[(y0 + y) * m.width + x0 + x] } }
        let fast = ConnectedComponents.label(labels: l, width: w, height: h)
        let ref = floodFillReference(l, w, h)
        #expect(fast == ref)
    }

    /// Writes an annotated overlay of a real micrograph as PNG when MATSSL_OVERLAY_REAL names a path.
    @Test func realOverlaySample() throws {
        guard let out = ProcessInfo.processInfo.environment["MATSSL_OVERLAY_REAL"] else { return }
        let (gray, _) = try ImageDecoder.decode(path: "\(Fixture.sharedData!)/metaldam/labeled/images/micrograph10.jpg")
        let m = try mask(10)
        var im = OverlayRenderer.render(image: gray, mask: m, palette: OverlayAnnotator.defaultPalette)
        OverlayAnnotator.annotate(&im, classNames: names,
                                  pixelSize: PixelSize(micrometresPerPixel: 0.1, source: .config))
        try PNGWriter.writeRGB(im, to: out)
    }
}
