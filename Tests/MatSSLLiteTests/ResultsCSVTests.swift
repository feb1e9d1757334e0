import Foundation
import Testing
@testable import MatSSLLite

@Suite struct ResultsCSVTests {
    /// Two images, awkward names (separator, quotes, newline, non-ASCII), one with a pixel size.
    func rows() throws -> [ImageStatistics] {
        let names = ["matrix", "ferrite; \"α\", fine"]
        let m = SyntheticMask.discs(width: 40, height: 30, [(10, 10, 4, 1), (30, 20, 5, 1)])
        let a = try PhaseStatistics.compute(
            mask: m, classNames: names, pixelSize: PixelSize(micrometresPerPixel: 0.25, source: .feiMetadata),
            options: StatisticsOptions(skipObjectClasses: ["matrix"]),
            provenance: ImageProvenance(image: "field 1, \"north\".tif", imageSHA256: "00ff", modelName: "lite",
                                        modelVersion: "2", timingsMs: ["inference": 123.25]))
        let b = try PhaseStatistics.compute(
            mask: m, classNames: names, pixelSize: nil, options: StatisticsOptions(skipObjectClasses: ["matrix"]),
            provenance: ImageProvenance(image: "line\nbreak;ü.png"))
        return [a, b]
    }

    @Test func columnNamesCarryUnits() throws {
        let csv = ResultsCSV.render(rows: try rows())
        let header = String(csv.split(separator: "\r\n").first!)
        for col in ["image", "pixel_size_um", "pixel_size_source", "data_bar_rows_cropped", "data_bar_source", "area_fraction_matrix",
                    "area_fraction_ferrite_fine", "area_um2_ferrite_fine", "area_px_ferrite_fine",
                    "ecd_mean_um_ferrite_fine", "ecd_mean_px_ferrite_fine", "number_density_per_mm2_ferrite_fine",
                    "time_ms_inference"] {
            #expect(header.split(separator: ",").contains(Substring(col)), "missing \(col)")
        }
        #expect(!header.contains("ecd_mean_um_matrix"))
    }

    @Test func columnSlugsAreASCIIWithAccentsDropped() {
        #expect(CSVFormat.columnSlug("Widmanstätten cementite") == "widmanstatten_cementite")
        #expect(CSVFormat.columnSlug("martensite/austenite") == "martensite_austenite")
        #expect(CSVFormat.columnSlug("Ferrite (fine)") == "ferrite_fine")
        #expect(CSVFormat.columnSlug("€€") == "class")
    }

    @Test func numbersUseTheDialectsDecimalMark() {
        #expect(CSVFormat.formatNumber(0.123456789) == "0.123457")
        #expect(CSVFormat.formatNumber(1234567) == "1234567")
        #expect(CSVFormat.formatNumber(1234.56789) == "1234.57")
        #expect(CSVFormat.formatNumber(0.5, decimalMark: ",") == "0,5")
        #expect(CSVFormat.formatNumber(.nan) == "")
        #expect(CSVFormat.field(.number(2.5), separator: .semicolon) == "2,5")
        #expect(CSVFormat.field(.text("a;b"), separator: .semicolon) == "\"a;b\"")
        #expect(CSVFormat.field(.text("a;b"), separator: .comma) == "a;b")
    }

    @Test(arguments: [CSVSeparator.comma, .semicolon])
    func roundTripsThroughPythonCSV(separator: CSVSeparator) throws {
        let r = try rows()
        let csv = ResultsCSV.render(rows: r, separator: separator)
        let script = """
        import csv, io, json, sys
        data = sys.stdin.buffer.read().decode('utf-8')
        rows = list(csv.reader(io.StringIO(data, newline=''), delimiter=sys.argv[1] if len(sys.argv) > 1 else '\(separator.rawValue)'))
        print(json.dumps(rows))
        """
        guard let res = try runPython(script, stdin: Data(csv.utf8)) else {
            print("ResultsCSVTests: python3 not found, skipping the round trip")
            return
        }
        #expect(res.status == 0, "python: \(res.err)")
        let parsed = try JSONDecoder().decode([[String]].self, from: Data(res.out.utf8))
        let cols = ResultsCSV.columns(for: r)
        #expect(parsed.count == 3)
        #expect(parsed[0] == cols.map(\.name))
        #expect(parsed[1][0] == "field 1, \"north\".tif")
        #expect(parsed[2][0] == "line\nbreak;ü.png")
        // Every cell parses back to the value it encodes.
        for (i, row) in r.enumerated() {
            #expect(parsed[i + 1].count == cols.count)
            for (j, c) in cols.enumerated() {
                let cell = parsed[i + 1][j]
                switch c.value(row) {
                case .empty: #expect(cell == "", "\(c.name)")
                case .text(let t): #expect(cell == t, "\(c.name)")
                case .integer(let n): #expect(Int(cell) == n, "\(c.name)")
                case .number(let d):
                    let v = Double(separator == .semicolon ? cell.replacingOccurrences(of: ",", with: ".") : cell)
                    #expect(v != nil && abs(v! - d) <= 1e-5 * max(1, abs(d)), "\(c.name): \(cell) vs \(d)")
                }
            }
        }
        let frac = parsed[1][cols.firstIndex { $0.name == "area_fraction_ferrite_fine" }!]
        #expect(frac.contains(separator == .comma ? "." : ","))
    }
}
