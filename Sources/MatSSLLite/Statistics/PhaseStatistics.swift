import Foundation

/// Phase statistics of a class-id mask: area fractions (ASTM E562/E1245 style, per field),
/// connected objects per class with ECD distributions and number density, and E112 intercept
/// grain size for grain-delineating classes. See `docs/statistics.md`.
public enum PhaseStatistics {
    /// Computes the statistics of `mask` (`width·height` class ids < `classNames.count`).
    /// The bottom `options.dataBarRows` rows are cropped first.
    /// - Throws: `StatisticsError` for a mask/size mismatch, a too-tall data bar, an unknown
    ///   configured class name, an out-of-range class id, or an invalid pixel size.
    public static func compute(mask: LabelMask, classNames: [String], pixelSize: PixelSize?,
                               options: StatisticsOptions = StatisticsOptions(),
                               provenance: ImageProvenance) throws -> ImageStatistics {
        try computeWithObjects(mask: mask, classNames: classNames, pixelSize: pixelSize,
                               options: options, provenance: provenance).statistics
    }

    /// Same as `compute`, also returning every labelled object (for `X.objects.csv`).
    public static func computeWithObjects(mask: LabelMask, classNames: [String], pixelSize: PixelSize?,
                                          options: StatisticsOptions = StatisticsOptions(),
                                          provenance: ImageProvenance)
        throws -> (statistics: ImageStatistics, objects: [ConnectedObject])
    {
        let name = provenance.image
        let w = mask.width, h = mask.height
        guard w >= 0, h >= 0, mask.labels.count == w * h else {
            throw StatisticsError.maskSizeMismatch(image: name, expected: max(0, w) * max(0, h),
                                                   actual: mask.labels.count)
        }
        let crop = max(0, options.dataBarRows)
        guard crop < h || (h == 0 && crop == 0) else {
            throw StatisticsError.dataBarTooTall(image: name, rows: crop, height: h)
        }
        if let ps = pixelSize, ps.source != .none,
           !(ps.micrometresPerPixel.isFinite && ps.micrometresPerPixel > 0) {
            throw StatisticsError.invalidPixelSize(image: name, value: ps.micrometresPerPixel)
        }
        // A PixelSize whose source is `.none` means "unknown".
        let um: Double? = (pixelSize?.source == PixelSizeSource.none) ? nil : pixelSize?.micrometresPerPixel
        func classIndex(_ n: String) throws -> Int {
            guard let i = classNames.firstIndex(of: n) else {
                throw StatisticsError.unknownClass(image: name, name: n, known: classNames)
            }
            return i
        }
        let grainClasses = try options.grainBoundaryClasses.map(classIndex)
        let skipClasses = Set(try options.skipObjectClasses.map(classIndex))

        let hA = h - crop
        let nA = w * hA
        // Pixel counts (and the class-id range check) on the analysed rows.
        var counts = [Int](repeating: 0, count: 256)
        mask.labels.withUnsafeBufferPointer { L in
            for i in 0..<nA { counts[Int(L[i])] += 1 }
        }
        if let bad = (classNames.count..<256).first(where: { counts[$0] > 0 }) {
            throw StatisticsError.classIndexOutOfRange(image: name, index: bad, classCount: classNames.count)
        }
        let analysed = crop == 0 ? mask.labels : Array(mask.labels[0..<nA])
        let objects = ConnectedComponents.label(labels: analysed, width: w, height: hA,
                                                skipClasses: skipClasses)
        let areaUm2PerPx = um.map { $0 * $0 }
        let analysedUm2 = areaUm2PerPx.map { Double(nA) * $0 }

        var byClass = [[ConnectedObject]](repeating: [], count: classNames.count)
        for o in objects { byClass[o.classIndex].append(o) }

        var classes: [ClassStatistics] = []
        for (c, cname) in classNames.enumerated() {
            var objStats: ObjectStatistics? = nil
            if !skipClasses.contains(c) {
                let interior = byClass[c].filter { !$0.touchesBorder }
                let nBorder = byClass[c].count - interior.count
                let weighted = Double(interior.count) + 0.5 * Double(nBorder)
                let ecdPx = interior.map(\.ecdPx)
                let upperPx: Double? = um == nil ? options.histogramUpperEdge : options.histogramUpperEdge.map { $0 / um! }
                objStats = ObjectStatistics(
                    countInterior: interior.count, countBorder: nBorder,
                    numberDensityPerMm2: analysedUm2.flatMap { $0 > 0 ? weighted / ($0 * 1e-6) : nil },
                    numberDensityPerMpx: nA > 0 ? weighted / (Double(nA) * 1e-6) : 0,
                    ecdPx: SizeDistribution(values: ecdPx, binCount: options.histogramBinCount, upperEdge: upperPx),
                    ecdUm: um.map { s in SizeDistribution(values: ecdPx.map { $0 * s },
                                                          binCount: options.histogramBinCount,
                                                          upperEdge: options.histogramUpperEdge) })
            }
            classes.append(ClassStatistics(
                classIndex: c, className: cname, areaPx: counts[c],
                areaFraction: nA > 0 ? Double(counts[c]) / Double(nA) : 0,
                areaUm2: areaUm2PerPx.map { Double(counts[c]) * $0 }, objects: objStats))
        }

        let grains = grainClasses.map { c in
            InterceptGrainSize.measure(labels: analysed, width: w, height: hA, classIndex: c,
                                       className: classNames[c],
                                       linesPerDirection: options.interceptLinesPerDirection,
                                       pixelSize: um.map { PixelSize(micrometresPerPixel: $0, source: pixelSize!.source) })
        }
        let stats = ImageStatistics(
            provenance: provenance, widthPx: w, heightPx: h, dataBarRowsCropped: crop,
            dataBarSource: crop > 0 || options.dataBarSource == .feiMetadata ? options.dataBarSource : DataBarSource.none,
            analysedHeightPx: hA, analysedAreaPx: nA, analysedAreaUm2: analysedUm2,
            pixelSizeUm: um, pixelSizeSource: um == nil ? .none : pixelSize!.source,
            lengthUnit: um == nil ? "px" : "um", classes: classes, grainSize: grains)
        return (stats, objects)
    }

    /// `X.stats.json` bytes: pretty-printed, sorted keys, UTF-8.
    public static func jsonData(_ stats: ImageStatistics) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(stats)
    }
}
