import Foundation
import Testing
@testable import MatSSLLite

@Suite struct StatisticsTests {
    let names = ["matrix", "precipitate"]
    let prov = ImageProvenance(image: "a.tif", imageSHA256: "ab", modelName: "m", modelVersion: "1",
                               timingsMs: ["inference": 12.5])

    @Test func discsGiveAreaFractionCountAndECD() throws {
        let r = 10.0
        let discs: [(cx: Double, cy: Double, r: Double, cls: UInt8)] =
            [(30, 30, r, 1), (80, 30, r, 1), (30, 80, r, 1), (80, 80, r, 1), (0, 55, r, 1)]
        let m = SyntheticMask.discs(width: 120, height: 110, discs)
        let s = try PhaseStatistics.compute(mask: m, classNames: names,
                                            pixelSize: PixelSize(micrometresPerPixel: 0.5, source: .config),
                                            options: StatisticsOptions(skipObjectClasses: ["matrix"]), provenance: prov)
        let p = s.classes[1]
        let count = m.labels.filter { $0 == 1 }.count
        #expect(p.areaPx == count)
        #expect(abs(p.areaFraction - Double(count) / Double(120 * 110)) < 1e-12)
        #expect(abs(s.classes[0].areaFraction + p.areaFraction - 1) < 1e-12)
        #expect(abs(p.areaUm2! - Double(count) * 0.25) < 1e-9)
        let o = try #require(p.objects)
        #expect(o.countInterior == 4)
        #expect(o.countBorder == 1)
        // ECD ≈ 2r within discretisation: a digital disc of radius 10 has 317 px → ECD 20.09 px.
        let ecdPx = try #require(o.ecdPx.mean)
        #expect(abs(ecdPx - 2 * r) < 0.5)
        #expect(abs(o.ecdUm!.mean! - ecdPx * 0.5) < 1e-9)
        #expect(abs(o.ecdUm!.median! - ecdPx * 0.5) < 1e-9)
        #expect(o.ecdPx.histogram.counts.reduce(0, +) == 4)
        // Density: (4 + 0.5) objects over 120·110·0.25 µm² = 3300 µm² = 0.0033 mm².
        #expect(abs(o.numberDensityPerMm2! - 4.5 / 0.0033) < 1e-6)
        #expect(s.classes[0].objects == nil)
        #expect(s.lengthUnit == "um" && s.pixelSizeSource == .config && s.pixelSizeUm == 0.5)
    }

    @Test func withoutPixelSizeUnitsArePixelsAndMicrometreKeysAreAbsent() throws {
        let m = SyntheticMask.discs(width: 50, height: 50, [(25, 25, 8, 1)])
        let s = try PhaseStatistics.compute(mask: m, classNames: names, pixelSize: nil, provenance: prov)
        #expect(s.lengthUnit == "px")
        #expect(s.pixelSizeSource == .none)
        #expect(s.classes[1].areaUm2 == nil)
        #expect(s.classes[1].objects?.ecdUm == nil)
        #expect(s.classes[1].objects?.numberDensityPerMm2 == nil)
        #expect(abs(s.classes[1].objects!.numberDensityPerMpx - 1 / 0.0025) < 1e-9)
        let json = String(decoding: try PhaseStatistics.jsonData(s), as: UTF8.self)
        #expect(json.contains("\"area_px\""))
        #expect(!json.contains("area_um2"))
        #expect(!json.contains("ecd_um"))
        #expect(json.contains("\"pixel_size_source\" : \"none\""))
        // With a pixel size the µm keys appear.
        let s2 = try PhaseStatistics.compute(mask: m, classNames: names,
                                             pixelSize: PixelSize(micrometresPerPixel: 2, source: .feiMetadata), provenance: prov)
        let json2 = String(decoding: try PhaseStatistics.jsonData(s2), as: UTF8.self)
        #expect(json2.contains("\"area_um2\""))
        #expect(json2.contains("\"ecd_um\""))
        #expect(json2.contains("\"pixel_size_source\" : \"fei-tag-34682\""))
        // JSON round trip.
        let back = try JSONDecoder().decode(ImageStatistics.self, from: try PhaseStatistics.jsonData(s2))
        #expect(back == s2)
    }

    @Test func dataBarRowsAreCroppedBeforeStatistics() throws {
        var m = SyntheticMask.discs(width: 40, height: 40, [(20, 15, 5, 1)])
        // Bottom 10 rows: a "data bar" full of class 1 that must not count.
        for i in (30 * 40)..<(40 * 40) { m.labels[i] = 1 }
        let s = try PhaseStatistics.compute(mask: m, classNames: names, pixelSize: nil,
                                            options: StatisticsOptions(dataBarRows: 10), provenance: prov)
        #expect(s.analysedHeightPx == 30 && s.analysedAreaPx == 1200)
        let disc = SyntheticMask.discs(width: 40, height: 40, [(20, 15, 5, 1)]).labels.filter { $0 == 1 }.count
        #expect(s.classes[1].areaPx == disc)
        #expect(s.classes[1].objects?.countInterior == 1 && s.classes[1].objects?.countBorder == 0)
    }

    @Test func badInputGivesTypedErrors() {
        var m = LabelMask(width: 4, height: 4, labels: [UInt8](repeating: 0, count: 16))
        m.labels.removeLast()   // the fields are mutable, so a mismatch can still arrive
        #expect(throws: StatisticsError.maskSizeMismatch(image: "a.tif", expected: 16, actual: 15)) {
            try PhaseStatistics.compute(mask: m, classNames: names, pixelSize: nil, provenance: prov)
        }
        let ok = LabelMask(width: 4, height: 4, labels: [UInt8](repeating: 0, count: 16))
        #expect(throws: StatisticsError.dataBarTooTall(image: "a.tif", rows: 4, height: 4)) {
            try PhaseStatistics.compute(mask: ok, classNames: names, pixelSize: nil,
                                        options: StatisticsOptions(dataBarRows: 4), provenance: prov)
        }
        #expect(throws: StatisticsError.unknownClass(image: "a.tif", name: "gb", known: names)) {
            try PhaseStatistics.compute(mask: ok, classNames: names, pixelSize: nil,
                                        options: StatisticsOptions(grainBoundaryClasses: ["gb"]), provenance: prov)
        }
        var bad = ok; bad.labels[5] = 7
        #expect(throws: StatisticsError.classIndexOutOfRange(image: "a.tif", index: 7, classCount: 2)) {
            try PhaseStatistics.compute(mask: bad, classNames: names, pixelSize: nil, provenance: prov)
        }
        #expect(throws: StatisticsError.self) {
            try PhaseStatistics.compute(mask: ok, classNames: names,
                                        pixelSize: PixelSize(micrometresPerPixel: -1, source: .config), provenance: prov)
        }
    }

    @Test func percentilesInterpolateLinearly() {
        let d = SizeDistribution(values: [4, 1, 3, 2, 5], binCount: 5, upperEdge: 5)
        #expect(d.median == 3 && d.mean == 3)
        #expect(abs(d.p10! - 1.4) < 1e-12 && abs(d.p90! - 4.6) < 1e-12)
        #expect(d.histogram.counts == [0, 1, 1, 1, 2])
        let h = Histogram(values: [0, 0.5, 10, 11], binCount: 2, upperEdge: 10)
        #expect(h.edges == [0, 5, 10] && h.counts == [2, 1] && h.overflow == 1)
    }

    @Test func objectsCSVListsEveryObjectWithUnits() throws {
        let m = SyntheticMask.discs(width: 30, height: 30, [(10, 10, 3, 1), (29, 29, 3, 1)])
        let (_, objs) = try PhaseStatistics.computeWithObjects(
            mask: m, classNames: names, pixelSize: PixelSize(micrometresPerPixel: 1, source: .config),
            options: StatisticsOptions(skipObjectClasses: ["matrix"]), provenance: prov)
        let csv = ObjectsCSV.render(objects: objs, classNames: names,
                                    pixelSize: PixelSize(micrometresPerPixel: 1, source: .config))
        let lines = csv.split(separator: "\r\n")
        #expect(lines.count == 3)
        #expect(lines[0].hasPrefix("id,class,area_px,ecd_px,area_um2,ecd_um,"))
        #expect(lines[1].hasPrefix("1,precipitate,29,"))
        #expect(lines[1].hasSuffix(",7,7,13,13,0"))
        #expect(lines[2].hasSuffix(",1"))
        let pxOnly = ObjectsCSV.render(objects: objs, classNames: names, pixelSize: nil)
        #expect(!pxOnly.contains("_um"))
    }
}

@Suite struct StatisticsFilesTests {
    @Test func jsonWritesAtomicallyAndReadsBack() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("matssl-stats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let m = SyntheticMask.discs(width: 30, height: 30, [(15, 15, 5, 1)])
        let (s, objs) = try PhaseStatistics.computeWithObjects(mask: m, classNames: ["a", "b"], pixelSize: nil,
                                                               provenance: ImageProvenance(image: "x.png"))
        try StatisticsFiles.writeJSON(s, to: "\(dir)/x.stats.json")
        #expect(try StatisticsFiles.readJSON(path: "\(dir)/x.stats.json") == s)
        try StatisticsFiles.writeObjectsCSV(objs, classNames: ["a", "b"], pixelSize: nil, to: "\(dir)/x.objects.csv")
        try StatisticsFiles.writeResultsCSV([s, s], separator: .semicolon, to: "\(dir)/results.csv")
        let csv = try String(contentsOfFile: "\(dir)/results.csv", encoding: .utf8)
        #expect(csv.split(separator: "\r\n").count == 3 && csv.hasPrefix("image;"))
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: dir)) ==
                ["x.stats.json", "x.objects.csv", "results.csv"])
        try "{not json".write(toFile: "\(dir)/bad.stats.json", atomically: true, encoding: .utf8)
        #expect(throws: StatisticsError.self) { try StatisticsFiles.readJSON(path: "\(dir)/bad.stats.json") }
        #expect(throws: StatisticsError.self) { try StatisticsFiles.readJSON(path: "\(dir)/missing.stats.json") }
    }
}
