import Foundation
import MatSSLLite

/// Writes the outputs of one segmented image: the class-id mask (palette PNG), the overlay (class
/// colours over the micrograph, with legend and — when the pixel size is known — a scale bar), the
/// phase statistics JSON and, on request, the per-object CSV and an overlay thumbnail. Every file is written atomically; the
/// stats JSON is written last and marks the set complete.
///
/// The overlay is rendered, annotated and written in bands of rows read from `rows`, so a 4096×4096
/// image never needs its float pixels or its RGB overlay in memory at once.
struct ResultWriter {
    var classNames: [String]
    var palette: [RGB8]
    var statistics: StatisticsOptions
    var writeOverlay = true
    var writeObjects = false
    /// Also write `X.thumb.png` (overlay downscaled to `thumbnailSide`) for `index.html`.
    var writeThumbnail = false
    var thumbnailSide = 256
    /// Separator of `X.objects.csv`.
    var separator: CSVSeparator = .comma
    /// Rows per overlay band.
    var bandRows = 256

    struct Written {
        var statistics: ImageStatistics
    }

    /// - Parameters:
    ///   - rows: returns image rows `[y, y + count)` as a `GrayImage` (called top to bottom).
    ///   - pixelSize: resolved pixel size (file, config) or nil.
    func write(mask: LabelMask, rows: (Int, Int) throws -> GrayImage, pixelSize: PixelSize?, provenance: ImageProvenance,
               outputs: OutputPaths) throws -> Written {
        try outputs.createDirectory()
        // The data bar's rows are LabelMask.notAnalysed (255): black in the palette PNG, no class.
        let maskPalette = statistics.dataBarRows > 0 && palette.count < 256
            ? palette + [RGB8](repeating: RGB8(r: 0, g: 0, b: 0), count: 256 - palette.count) : palette
        try MaskCodec.writePalettePNG(mask, palette: maskPalette, to: outputs.mask)
        if writeOverlay {
            // Rendered, annotated, thumbnailed and compressed one band at a time: the whole RGB
            // overlay (48 MB at 4096²) never exists in memory.
            var thumbnail = writeThumbnail
                ? ThumbnailAccumulator(sourceWidth: mask.width, sourceHeight: mask.height, maxSide: thumbnailSide) : nil
            let annotation = OverlayAnnotator.Options(bottomReservedRows: statistics.dataBarRows)
            try PNGWriter.writeRGB(width: mask.width, height: mask.height, bandRows: bandRows, to: outputs.overlay) { y, n, out in
                let band = try rows(y, n)
                let m = LabelMask(width: mask.width, height: n,
                                  labels: Array(mask.labels[(y * mask.width)..<((y + n) * mask.width)]))
                var rgb = OverlayRenderer.render(image: band, mask: m, palette: palette)
                OverlayAnnotator.annotate(band: &rgb, top: y, imageHeight: mask.height, classNames: classNames,
                                          palette: palette, pixelSize: pixelSize, options: annotation)
                thumbnail?.add(band: rgb, top: y)
                rgb.pixels.withUnsafeBufferPointer { out.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
            if let thumbnail {
                try PNGWriter.writeRGB(thumbnail.result(), to: outputs.thumbnail)
            } else {
                outputs.remove([outputs.thumbnail])
            }
        } else {
            outputs.remove([outputs.overlay, outputs.thumbnail])
        }
        let stats: ImageStatistics
        if writeObjects {
            let r = try PhaseStatistics.computeWithObjects(mask: mask, classNames: classNames, pixelSize: pixelSize,
                                                           options: statistics, provenance: provenance)
            try StatisticsFiles.writeObjectsCSV(r.objects, classNames: classNames, pixelSize: pixelSize, separator: separator,
                                                to: outputs.objects)
            stats = r.statistics
        } else {
            outputs.remove([outputs.objects])
            stats = try PhaseStatistics.compute(mask: mask, classNames: classNames, pixelSize: pixelSize, options: statistics,
                                                provenance: provenance)
        }
        try StatisticsFiles.writeJSON(stats, to: outputs.stats)
        return Written(statistics: stats)
    }
}
