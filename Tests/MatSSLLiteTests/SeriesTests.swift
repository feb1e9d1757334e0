import Foundation
import Testing
@testable import MatSSLLite

@Suite struct SeriesTests {
    @Test func meanSdAndCIMatchHandComputation() {
        // Values 0.10, 0.12, 0.14, 0.16: mean 0.13, s = sqrt(0.002/3) = 0.0258199,
        // CI = t(0.975, 3) · s / 2 = 3.182446 · 0.0129099 = 0.0410853.
        let f = FieldSummary(values: [0.10, 0.12, 0.14, 0.16])
        #expect(f.fields == 4)
        #expect(abs(f.mean! - 0.13) < 1e-12)
        #expect(abs(f.standardDeviation! - (0.002 / 3).squareRoot()) < 1e-12)
        #expect(abs(f.ci95HalfWidth! - 0.0410853) < 1e-6)
        #expect(abs(f.relativeAccuracyPercent! - 100 * 0.0410853 / 0.13) < 1e-3)
    }

    @Test func singleFieldHasNoSpread() {
        let f = FieldSummary(values: [0.3])
        #expect(f.mean == 0.3 && f.standardDeviation == nil && f.ci95HalfWidth == nil)
        #expect(FieldSummary(values: []).mean == nil)
    }

    @Test func studentTMatchesTablesBeyondThirty() {
        #expect(StudentT.quantile975(df: 0) == nil)
        #expect(abs(StudentT.quantile975(df: 1)! - 12.706205) < 1e-6)
        #expect(abs(StudentT.quantile975(df: 40)! - 2.021075) < 2e-5)
        #expect(abs(StudentT.quantile975(df: 60)! - 2.000298) < 2e-5)
        #expect(abs(StudentT.quantile975(df: 120)! - 1.979930) < 2e-5)
    }

    @Test func aggregateOverImagesUsesPhaseFractions() throws {
        let names = ["matrix", "pearlite"]
        var stats: [ImageStatistics] = []
        for r in [5.0, 8.0, 11.0] {
            let m = SyntheticMask.discs(width: 40, height: 40, [(20, 20, r, 1)])
            stats.append(try PhaseStatistics.compute(mask: m, classNames: names,
                                                     pixelSize: PixelSize(micrometresPerPixel: 1, source: .config),
                                                     provenance: ImageProvenance(image: "r\(r)")))
        }
        let agg = SeriesAggregate(images: stats)
        #expect(agg.fields == 3)
        let p = try #require(agg.classes.first { $0.className == "pearlite" })
        let fr = stats.map { $0.classes[1].areaFraction }
        #expect(p.areaFraction == FieldSummary(values: fr))
        #expect(p.ecdMeanUm.fields == 3)
        let csv = ResultsCSV.renderAggregate(agg)
        #expect(csv.hasPrefix("class,quantity,fields,mean,standard_deviation,ci95_half_width"))
        #expect(csv.contains("pearlite,area_fraction,3,"))
    }
}
