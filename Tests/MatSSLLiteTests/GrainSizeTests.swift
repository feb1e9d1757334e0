import Foundation
import Testing
@testable import MatSSLLite

@Suite struct GrainSizeTests {
    @Test func squareGridGivesExactInterceptAndG() throws {
        // Boundaries every 10 px on a 100×100 mask; test lines at 5, 15, …, 95 never lie on one.
        let m = SyntheticMask.grid(size: 100, period: 10)
        let s = try PhaseStatistics.compute(
            mask: m, classNames: ["grain", "boundary"],
            pixelSize: PixelSize(micrometresPerPixel: 1, source: .config),
            options: StatisticsOptions(grainBoundaryClasses: ["boundary"], interceptLinesPerDirection: 10),
            provenance: ImageProvenance(image: "grid"))
        let g = try #require(s.grainSize.first)
        #expect(g.horizontalLines == 10 && g.verticalLines == 10)
        #expect(g.interceptCount == 200)
        #expect(g.lineLengthPx == 2000)
        #expect(g.meanInterceptPx == 10)
        #expect(g.meanInterceptUm == 10)
        // ℓ = 0.01 mm → G = −6.643856·(−2) − 3.288 = 9.999712.
        #expect(abs(g.grainSizeG! - 9.999712) < 1e-9)
    }

    @Test func gScalesWithPixelSizeAndIsAbsentWithoutIt() throws {
        let m = SyntheticMask.grid(size: 100, period: 10)
        let opts = StatisticsOptions(grainBoundaryClasses: ["boundary"])
        let s = try PhaseStatistics.compute(mask: m, classNames: ["grain", "boundary"],
                                            pixelSize: PixelSize(micrometresPerPixel: 0.1, source: .feiMetadata),
                                            options: opts, provenance: ImageProvenance(image: "g"))
        // ℓ = 1 µm = 0.001 mm → G = 6.643856·3 − 3.288.
        #expect(abs(s.grainSize[0].grainSizeG! - (6.643856 * 3 - 3.288)) < 1e-9)
        let n = try PhaseStatistics.compute(mask: m, classNames: ["grain", "boundary"], pixelSize: nil,
                                            options: opts, provenance: ImageProvenance(image: "g"))
        #expect(n.grainSize[0].grainSizeG == nil)
        #expect(n.grainSize[0].meanInterceptPx == 10)
    }

    @Test func thickBoundaryCountsOnce() {
        // Vertical 3-px-thick boundaries at x = 10…12 and 30…32 in a 40-wide mask.
        let w = 40, h = 20
        var l = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h { for x in [10, 11, 12, 30, 31, 32] { l[y * w + x] = 1 } }
        let g = InterceptGrainSize.measure(labels: l, width: w, height: h, classIndex: 1, className: "b",
                                           linesPerDirection: 4, pixelSize: nil)
        // 4 horizontal lines × 2 crossings; vertical lines at x = 5, 15, 25, 35 cross nothing.
        #expect(g.interceptCount == 8)
        #expect(g.lineLengthPx == Double(4 * w + 4 * h))
    }

    @Test func linePositionsAreCentredInEqualStrips() {
        #expect(InterceptGrainSize.linePositions(size: 100, count: 4) == [12, 37, 62, 87])
        #expect(InterceptGrainSize.linePositions(size: 3, count: 10) == [0, 1, 2])
    }
}
