/// `results.csv`: one row per image, units in the column names
/// (e.g. `area_fraction_matrix`, `area_um2_ferrite`, `ecd_mean_um_austenite`).
/// µm columns appear when any image has a pixel size (empty cells for those without); pixel-unit
/// ECD columns appear when any image lacks one. Classes are matched by name across images.
public enum ResultsCSV {
    public static func columns(for rows: [ImageStatistics]) -> [(name: String, value: (ImageStatistics) -> CSVCell)] {
        var cols: [(String, (ImageStatistics) -> CSVCell)] = [
            ("image", { .text($0.provenance.image) }),
            ("image_sha256", { .text($0.provenance.imageSHA256) }),
            ("model_name", { .text($0.provenance.modelName) }),
            ("model_version", { .text($0.provenance.modelVersion) }),
            ("test_time_augmentation", { $0.provenance.testTimeAugmentation.map(CSVCell.text) ?? .empty }),
            ("width_px", { .integer($0.widthPx) }),
            ("height_px", { .integer($0.heightPx) }),
            ("data_bar_rows_cropped", { .integer($0.dataBarRowsCropped) }),
            ("data_bar_source", { $0.dataBarSource.map { CSVCell.text($0.rawValue) } ?? .empty }),
            ("pixel_size_um", { $0.pixelSizeUm.map(CSVCell.number) ?? .empty }),
            ("pixel_size_source", { .text($0.pixelSizeSource.rawValue) }),
            ("analysed_area_px", { .integer($0.analysedAreaPx) }),
        ]
        let anyUm = rows.contains { $0.pixelSizeUm != nil }
        let anyPx = rows.contains { $0.pixelSizeUm == nil }
        if anyUm { cols.append(("analysed_area_um2", { $0.analysedAreaUm2.map(CSVCell.number) ?? .empty })) }

        var names: [String] = []
        for r in rows { for c in r.classes where !names.contains(c.className) { names.append(c.className) } }
        var slugs: [String] = []
        for n in names {   // unique slugs
            var s = CSVFormat.columnSlug(n), k = 2
            while slugs.contains(s) { s = CSVFormat.columnSlug(n) + "_\(k)"; k += 1 }
            slugs.append(s)
        }
        func cls(_ r: ImageStatistics, _ n: String) -> ClassStatistics? { r.classes.first { $0.className == n } }
        func num(_ d: Double?) -> CSVCell { d.map(CSVCell.number) ?? .empty }
        for (n, s) in zip(names, slugs) {
            cols.append(("area_fraction_\(s)", { num(cls($0, n)?.areaFraction) }))
            cols.append(("area_px_\(s)", { cls($0, n).map { .integer($0.areaPx) } ?? .empty }))
            if anyUm { cols.append(("area_um2_\(s)", { num(cls($0, n)?.areaUm2) })) }
            let hasObjects = rows.contains { cls($0, n)?.objects != nil }
            if hasObjects {
                cols.append(("count_interior_\(s)", { cls($0, n)?.objects.map { .integer($0.countInterior) } ?? .empty }))
                cols.append(("count_border_\(s)", { cls($0, n)?.objects.map { .integer($0.countBorder) } ?? .empty }))
                if anyUm {
                    cols.append(("number_density_per_mm2_\(s)", { num(cls($0, n)?.objects?.numberDensityPerMm2) }))
                    cols.append(("ecd_mean_um_\(s)", { num(cls($0, n)?.objects?.ecdUm?.mean) }))
                    cols.append(("ecd_median_um_\(s)", { num(cls($0, n)?.objects?.ecdUm?.median) }))
                    cols.append(("ecd_p10_um_\(s)", { num(cls($0, n)?.objects?.ecdUm?.p10) }))
                    cols.append(("ecd_p90_um_\(s)", { num(cls($0, n)?.objects?.ecdUm?.p90) }))
                }
                if anyPx {
                    cols.append(("number_density_per_mpx_\(s)", { num(cls($0, n)?.objects?.numberDensityPerMpx) }))
                    // Pixel ECD only for images without a pixel size, so a column has one meaning.
                    func px(_ r: ImageStatistics) -> SizeDistribution? {
                        r.pixelSizeUm == nil ? cls(r, n)?.objects?.ecdPx : nil
                    }
                    cols.append(("ecd_mean_px_\(s)", { num(px($0)?.mean) }))
                    cols.append(("ecd_median_px_\(s)", { num(px($0)?.median) }))
                    cols.append(("ecd_p10_px_\(s)", { num(px($0)?.p10) }))
                    cols.append(("ecd_p90_px_\(s)", { num(px($0)?.p90) }))
                }
            }
            let isGrain = rows.contains { $0.grainSize.contains { $0.className == n } }
            if isGrain {
                func g(_ r: ImageStatistics) -> InterceptMeasurement? { r.grainSize.first { $0.className == n } }
                cols.append(("grain_size_g_\(s)", { num(g($0)?.grainSizeG) }))
                cols.append(("intercept_count_\(s)", { g($0).map { .integer($0.interceptCount) } ?? .empty }))
                cols.append(("test_line_length_px_\(s)", { num(g($0)?.lineLengthPx) }))
                if anyUm { cols.append(("mean_intercept_um_\(s)", { num(g($0)?.meanInterceptUm) })) }
                if anyPx { cols.append(("mean_intercept_px_\(s)", { $0.pixelSizeUm == nil ? num(g($0)?.meanInterceptPx) : .empty })) }
            }
        }
        var timingKeys: [String] = []
        for r in rows { for k in r.provenance.timingsMs.keys.sorted() where !timingKeys.contains(k) { timingKeys.append(k) } }
        for k in timingKeys {
            cols.append(("time_ms_\(CSVFormat.columnSlug(k))", { num($0.provenance.timingsMs[k]) }))
        }
        return cols
    }

    /// Renders `results.csv` (header + one row per image).
    public static func render(rows: [ImageStatistics], separator: CSVSeparator = .comma) -> String {
        let cols = columns(for: rows)
        return CSVFormat.render(header: cols.map(\.name),
                                rows: rows.map { r in cols.map { $0.value(r) } },
                                separator: separator)
    }

    /// Renders the series aggregate as CSV: one row per class and quantity.
    public static func renderAggregate(_ agg: SeriesAggregate, separator: CSVSeparator = .comma) -> String {
        let header = ["class", "quantity", "fields", "mean", "standard_deviation", "ci95_half_width",
                      "relative_accuracy_percent"]
        var rows: [[CSVCell]] = []
        func num(_ d: Double?) -> CSVCell { d.map(CSVCell.number) ?? .empty }
        for c in agg.classes {
            for (q, f) in [("area_fraction", c.areaFraction), ("number_density_per_mm2", c.numberDensityPerMm2),
                           ("ecd_mean_um", c.ecdMeanUm), ("grain_size_g", c.grainSizeG)] where f.fields > 0 {
                rows.append([.text(c.className), .text(q), .integer(f.fields), num(f.mean),
                             num(f.standardDeviation), num(f.ci95HalfWidth), num(f.relativeAccuracyPercent)])
            }
        }
        return CSVFormat.render(header: header, rows: rows, separator: separator)
    }
}
