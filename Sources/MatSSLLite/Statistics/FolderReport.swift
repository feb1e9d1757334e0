import Foundation

/// `index.html` for a folder: a static, self-contained page (inline CSS and SVG, no script, no
/// external assets) with per-image thumbnail, overlay and phase fractions, the series aggregate
/// table and histograms. Images are referenced by relative path.
public enum FolderReport {
    public struct Entry: Sendable {
        public var statistics: ImageStatistics
        /// Paths relative to the folder of `index.html` (percent-encoded here).
        public var thumbnailPath: String?
        public var overlayPath: String?
        public var maskPath: String?
        public var statsPath: String?
        public init(statistics: ImageStatistics, thumbnailPath: String? = nil, overlayPath: String? = nil,
                    maskPath: String? = nil, statsPath: String? = nil) {
            self.statistics = statistics; self.thumbnailPath = thumbnailPath; self.overlayPath = overlayPath
            self.maskPath = maskPath; self.statsPath = statsPath
        }
    }

    public static func renderHTML(title: String, entries: [Entry], aggregate: SeriesAggregate,
                                  palette: [RGB8] = OverlayAnnotator.defaultPalette,
                                  generated: Date = Date()) -> String {
        let iso = ISO8601DateFormatter().string(from: generated)
        var classNames: [String] = []
        for e in entries { for c in e.statistics.classes where !classNames.contains(c.className) { classNames.append(c.className) } }
        func colour(_ name: String) -> String {
            let i = classNames.firstIndex(of: name) ?? 0
            let c = i < palette.count ? palette[i] : OverlayAnnotator.defaultPalette[i % OverlayAnnotator.defaultPalette.count]
            return String(format: "#%02x%02x%02x", c.r, c.g, c.b)
        }
        var h = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(esc(title))</title>
        <style>
        body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
        table{border-collapse:collapse;margin:0.5em 0 1.5em}
        th,td{border:1px solid #ccc;padding:0.25em 0.5em;text-align:right;vertical-align:top}
        th{background:#f2f2f2}
        td.l,th.l{text-align:left}
        img.thumb{max-width:160px;max-height:160px}
        .sw{display:inline-block;width:0.9em;height:0.9em;border:1px solid #000;margin-right:0.3em;vertical-align:middle}
        .note{color:#666;font-size:0.9em}
        .warn{background:#fff3cd;border:1px solid #e0c060;padding:0.5em}
        </style>
        </head>
        <body>
        <h1>\(esc(title))</h1>
        <p class="note">\(entries.count) field(s). Generated \(esc(iso)) by matssl-agent \(esc(MatSSLLite.version)).
        Area fractions per field (ASTM E562/E1245 style); mean, standard deviation and 95&nbsp;% confidence
        interval (Student t) over fields; grain size number G by the ASTM E112 intercept method.</p>

        """
        // Fields segmented by different models do not make one series: say so above the numbers.
        let models = Dictionary(grouping: entries) { "\($0.statistics.provenance.modelName) \($0.statistics.provenance.modelVersion)" }
        if models.count > 1 {
            let list = models.keys.sorted().map { "\(esc($0)) (\(models[$0]!.count))" }.joined(separator: ", ")
            h += "<p class=\"warn\" id=\"mixed-models\">These fields were segmented by \(models.count) different models: \(list). "
            h += "Their statistics are not one series; <code>matssl-agent reprocess</code> re-segments them with the current model.</p>\n"
        }
        // Aggregate table.
        h += "<h2>Series summary</h2>\n<table id=\"aggregate\">\n<tr><th class=\"l\">Class</th><th class=\"l\">Quantity</th><th>Fields</th><th>Mean</th><th>SD</th><th>95% CI &plusmn;</th><th>%RA</th></tr>\n"
        for c in aggregate.classes {
            let quantities: [(String, FieldSummary, Double)] = [
                ("Area fraction (%)", c.areaFraction, 100), ("Number density (1/mm²)", c.numberDensityPerMm2, 1),
                ("Mean ECD (µm)", c.ecdMeanUm, 1), ("Grain size G", c.grainSizeG, 1),
            ]
            for (q, f, k) in quantities where f.fields > 0 {
                h += "<tr><td class=\"l\"><span class=\"sw\" style=\"background:\(colour(c.className))\"></span>\(esc(c.className))</td>"
                h += "<td class=\"l\">\(esc(q))</td><td>\(f.fields)</td><td>\(fmt(f.mean.map { $0 * k }))</td>"
                h += "<td>\(fmt(f.standardDeviation.map { $0 * k }))</td><td>\(fmt(f.ci95HalfWidth.map { $0 * k }))</td>"
                h += "<td>\(fmt(f.relativeAccuracyPercent))</td></tr>\n"
            }
        }
        h += "</table>\n"
        h += fractionChart(aggregate, colour: colour)

        // Folder ECD histograms (µm) where every image used the same bin edges.
        var hist = ""
        for n in classNames {
            let hs = entries.compactMap { e in e.statistics.classes.first { $0.className == n }?.objects?.ecdUm?.histogram }
            guard !hs.isEmpty, hs.count == entries.count, hs.allSatisfy({ $0.edges == hs[0].edges }) else { continue }
            var counts = [Int](repeating: 0, count: hs[0].counts.count)
            for x in hs { for i in counts.indices { counts[i] += x.counts[i] } }
            let total = Histogram(edges: hs[0].edges, counts: counts, overflow: hs.reduce(0) { $0 + $1.overflow })
            if total.counts.reduce(0, +) + total.overflow == 0 { continue }
            hist += "<figure><figcaption>\(esc(n)): ECD of interior objects, all fields (µm)</figcaption>\n"
            hist += histogramSVG(total, colour: colour(n), width: 360, height: 140, axisUnit: "µm") + "</figure>\n"
        }
        if !hist.isEmpty { h += "<h2>Size distributions</h2>\n" + hist }

        // Per-image table.
        h += "<h2>Fields</h2>\n<table id=\"fields\">\n<tr><th class=\"l\">Image</th><th>Thumbnail</th><th>Overlay</th><th class=\"l\">Pixel size</th>"
        for n in classNames { h += "<th><span class=\"sw\" style=\"background:\(colour(n))\"></span>\(esc(n)) (%)</th>" }
        h += "<th class=\"l\">ECD histograms</th></tr>\n"
        for e in entries {
            let s = e.statistics
            h += "<tr><td class=\"l\">\(esc(s.provenance.image))"
            if let p = e.statsPath { h += "<br><a href=\"\(url(p))\">stats</a>" }
            if let p = e.maskPath { h += " <a href=\"\(url(p))\">mask</a>" }
            h += "</td><td>"
            if let p = e.thumbnailPath { h += "<img class=\"thumb\" src=\"\(url(p))\" alt=\"thumbnail of \(esc(s.provenance.image))\">" }
            h += "</td><td>"
            if let p = e.overlayPath {
                h += "<a href=\"\(url(p))\"><img class=\"thumb\" src=\"\(url(p))\" alt=\"overlay of \(esc(s.provenance.image))\"></a>"
            }
            h += "</td><td class=\"l\">"
            h += s.pixelSizeUm.map { "\(fmt($0)) µm/px (\(esc(s.pixelSizeSource.rawValue)))" } ?? "unknown (lengths in px)"
            h += "</td>"
            for n in classNames {
                h += "<td>\(fmt(s.classes.first { $0.className == n }.map { $0.areaFraction * 100 }))"
                if let g = s.grainSize.first(where: { $0.className == n }) {
                    h += "<br><span class=\"note\">G \(fmt(g.grainSizeG)), P=\(g.interceptCount)</span>"
                }
                h += "</td>"
            }
            h += "<td class=\"l\">"
            for c in s.classes {
                guard let o = c.objects else { continue }
                let d = o.ecdUm ?? o.ecdPx
                if d.count == 0 { continue }
                h += "<div class=\"note\">\(esc(c.className)) (n=\(d.count), \(o.ecdUm == nil ? "px" : "µm"))</div>"
                h += histogramSVG(d.histogram, colour: colour(c.className), width: 160, height: 50, axisUnit: nil)
            }
            h += "</td></tr>\n"
        }
        h += "</table>\n</body>\n</html>\n"
        return h
    }

    /// Writes `html` atomically to `url` (temp file, fsync, rename; see `AtomicFileWriter`).
    public static func write(_ html: String, to url: URL) throws {
        try AtomicFileWriter.write(text: html, to: url.path)
    }

    // MARK: - Pieces

    static func fractionChart(_ agg: SeriesAggregate, colour: (String) -> String) -> String {
        let rows = agg.classes.filter { $0.areaFraction.mean != nil }
        guard !rows.isEmpty else { return "" }
        let rowH = 22, labelW = 140, barW = 300, w = labelW + barW + 80, hgt = rows.count * rowH + 20
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(hgt)\" viewBox=\"0 0 \(w) \(hgt)\" role=\"img\" aria-label=\"mean area fraction with 95% CI\">\n"
        for (i, c) in rows.enumerated() {
            let y = 10 + i * rowH
            let m = c.areaFraction.mean!, ci = c.areaFraction.ci95HalfWidth ?? 0
            let bw = max(0, min(1, m)) * Double(barW)
            s += "<text x=\"\(labelW - 6)\" y=\"\(y + 14)\" text-anchor=\"end\" font-size=\"12\">\(esc(c.className))</text>"
            s += "<rect x=\"\(labelW)\" y=\"\(y + 3)\" width=\"\(fmt(bw))\" height=\"14\" fill=\"\(colour(c.className))\"/>"
            if ci > 0 {
                let x0 = Double(labelW) + max(0, m - ci) * Double(barW), x1 = Double(labelW) + min(1, m + ci) * Double(barW)
                s += "<line x1=\"\(fmt(x0))\" x2=\"\(fmt(x1))\" y1=\"\(y + 10)\" y2=\"\(y + 10)\" stroke=\"#000\" stroke-width=\"1.5\"/>"
            }
            s += "<text x=\"\(labelW + barW + 6)\" y=\"\(y + 14)\" font-size=\"12\">\(fmt(m * 100)) %</text>\n"
        }
        return s + "</svg>\n"
    }

    static func histogramSVG(_ hist: Histogram, colour: String, width: Int, height: Int, axisUnit: String?) -> String {
        let n = hist.counts.count + (hist.overflow > 0 ? 1 : 0)
        let maxC = max(1, (hist.counts + [hist.overflow]).max() ?? 1)
        let bottom = axisUnit == nil ? 0 : 16
        let plotH = Double(height - bottom - 2)
        let bw = Double(width) / Double(max(1, n))
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" role=\"img\" aria-label=\"histogram\">"
        for i in 0..<n {
            let c = i < hist.counts.count ? hist.counts[i] : hist.overflow
            let bh = plotH * Double(c) / Double(maxC)
            let title = i < hist.counts.count ? "\(fmt(hist.edges[i]))–\(fmt(hist.edges[i + 1])): \(c)" : "> \(fmt(hist.edges.last ?? 0)): \(c)"
            s += "<rect x=\"\(fmt(Double(i) * bw + 0.5))\" y=\"\(fmt(plotH - bh + 2))\" width=\"\(fmt(max(0, bw - 1)))\" height=\"\(fmt(bh))\" fill=\"\(i < hist.counts.count ? colour : "#999")\"><title>\(esc(title))</title></rect>"
        }
        if let u = axisUnit {
            s += "<text x=\"0\" y=\"\(height - 3)\" font-size=\"11\">0</text>"
            s += "<text x=\"\(width)\" y=\"\(height - 3)\" font-size=\"11\" text-anchor=\"end\">\(fmt(hist.edges.last ?? 0)) \(esc(u))</text>"
        }
        return s + "</svg>\n"
    }

    /// HTML text/attribute escaping.
    public static func esc(_ s: String) -> String {
        var o = ""
        o.reserveCapacity(s.count)
        for ch in s {
            switch ch {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&#39;"
            default: o.append(ch)
            }
        }
        return o
    }

    /// Percent-encodes each path segment of a relative path (then HTML-escapes it).
    public static func url(_ relativePath: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%;")
        let segs = relativePath.split(separator: "/", omittingEmptySubsequences: false).map {
            String($0).addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
        }
        return esc(segs.joined(separator: "/"))
    }

    static func fmt(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "–" }
        // Display: 4 significant digits, whole numbers from 1000 up.
        if v == 0 || abs(v) >= 1000 { return String(format: "%.0f", v) }
        let decimals = max(0, 3 - Int(floor(log10(abs(v)))))
        return String(format: "%.\(decimals)f", v)
    }
}
