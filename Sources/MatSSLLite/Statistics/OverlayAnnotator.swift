import Foundation

/// Draws a legend (class colour swatches and names) and, when the pixel size is known, a scale
/// bar with a "nice" length (1, 2 or 5 × 10^k µm) onto an RGB overlay, using `BitmapFont`.
/// Everything is clipped to the image, so tiny images never crash.
public enum OverlayAnnotator {
    public struct Options: Sendable {
        /// Integer text magnification; nil: the shorter side / 400, rounded (at least 1).
        public var textScale: Int?
        /// Rows at the bottom to keep clear (an SEM data bar): the scale bar sits above them.
        public var bottomReservedRows: Int
        /// Target scale-bar length as a fraction of the image width (the bar is the largest nice
        /// length not above it).
        public var scaleBarTargetFraction: Double
        public var drawLegend: Bool

        public init(textScale: Int? = nil, bottomReservedRows: Int = 0,
                    scaleBarTargetFraction: Double = 0.2, drawLegend: Bool = true) {
            self.textScale = textScale; self.bottomReservedRows = bottomReservedRows
            self.scaleBarTargetFraction = scaleBarTargetFraction; self.drawLegend = drawLegend
        }
    }

    /// What was drawn (for tests and logs). Rectangles are (x, y, width, height) in pixels.
    public struct Annotation: Equatable, Sendable {
        public var legendRect: (x: Int, y: Int, width: Int, height: Int)?
        public var scaleBarLengthUm: Double?
        public var scaleBarLengthPx: Int?
        public var scaleBarLabel: String?
        public var scaleBarRect: (x: Int, y: Int, width: Int, height: Int)?

        public static func == (a: Annotation, b: Annotation) -> Bool {
            a.legendRect.map { [$0.x, $0.y, $0.width, $0.height] } == b.legendRect.map { [$0.x, $0.y, $0.width, $0.height] }
                && a.scaleBarLengthUm == b.scaleBarLengthUm && a.scaleBarLengthPx == b.scaleBarLengthPx
                && a.scaleBarLabel == b.scaleBarLabel
        }
    }

    /// A distinct default palette (class i → `defaultPalette[i % count]`).
    public static let defaultPalette: [RGB8] = [
        RGB8(r: 31, g: 119, b: 180), RGB8(r: 255, g: 127, b: 14), RGB8(r: 44, g: 160, b: 44), RGB8(r: 214, g: 39, b: 40),
        RGB8(r: 148, g: 103, b: 189), RGB8(r: 140, g: 86, b: 75), RGB8(r: 227, g: 119, b: 194), RGB8(r: 188, g: 189, b: 34),
    ]

    /// Largest 1/2/5 × 10^k not above `maximum` (nil for a non-positive or non-finite maximum).
    public static func niceLength(atMost maximum: Double) -> Double? {
        guard maximum.isFinite, maximum > 0 else { return nil }
        let k = floor(log10(maximum))
        let base = pow(10, k)
        for m in [5.0, 2.0, 1.0] where m * base <= maximum * (1 + 1e-12) { return m * base }
        return base
    }

    /// Label of a length in µm: "500 µm", "2 mm", "0.5 µm".
    public static func lengthLabel(micrometres um: Double) -> String {
        if um >= 1000 { return "\(trim(um / 1000)) mm" }
        return "\(trim(um)) \u{00B5}m"
    }

    private static func trim(_ v: Double) -> String {
        if v == v.rounded() { return String(Int(v)) }
        var s = String(format: "%.6f", v)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// Annotates `image` in place. `palette[i]` is class i's colour (the default palette fills gaps).
    @discardableResult
    public static func annotate(_ image: inout RGBImage, classNames: [String], palette: [RGB8] = defaultPalette,
                                pixelSize: PixelSize?, options: Options = Options()) -> Annotation {
        annotate(band: &image, top: 0, imageHeight: image.height, classNames: classNames, palette: palette,
                 pixelSize: pixelSize, options: options)
    }

    /// Annotates one band of an overlay that is rendered (and written) a band at a time: `band`
    /// holds rows `[top, top + band.height)` of an overlay `band.width` × `imageHeight`. The layout
    /// is that of the whole image, so annotating every band equals annotating the whole overlay.
    @discardableResult
    public static func annotate(band image: inout RGBImage, top: Int, imageHeight: Int, classNames: [String],
                                palette: [RGB8] = defaultPalette, pixelSize: PixelSize?,
                                options: Options = Options()) -> Annotation {
        let w = image.width, h = imageHeight
        // Move the pixels into the canvas and back (no copy-on-write duplicate of a 48 MB overlay).
        var canvas = Canvas(image: RGBImage(width: 0, height: 0, pixels: []), top: top)
        swap(&canvas.image, &image)
        defer { swap(&canvas.image, &image) }
        var result = Annotation()
        guard w > 0, h > 0 else { return result }
        let s = max(1, options.textScale ?? (min(w, h) + 200) / 400)
        let pad = 4 * s
        let lineH = BitmapFont.lineHeight * s
        let swatch = BitmapFont.glyphHeight * s + 2 * s

        if options.drawLegend && !classNames.isEmpty {
            let textW = classNames.map { BitmapFont.width(of: $0, scale: s) }.max() ?? 0
            let rowH = max(lineH, swatch + 2 * s)
            let bw = pad + swatch + pad + textW + pad
            let bh = pad + rowH * classNames.count - (rowH - swatch) + pad
            let bx = pad, by = pad
            canvas.blendRect(x: bx, y: by, w: bw, h: bh, colour: RGB8(r: 255, g: 255, b: 255), alpha: 0.85)
            canvas.strokeRect(x: bx, y: by, w: bw, h: bh, colour: RGB8(r: 0, g: 0, b: 0), thickness: max(1, s / 2))
            for (i, name) in classNames.enumerated() {
                let c = i < palette.count ? palette[i] : defaultPalette[i % defaultPalette.count]
                let ry = by + pad + i * rowH
                canvas.fillRect(x: bx + pad, y: ry, w: swatch, h: swatch, colour: c)
                canvas.strokeRect(x: bx + pad, y: ry, w: swatch, h: swatch, colour: RGB8(r: 0, g: 0, b: 0), thickness: 1)
                canvas.drawText(name, x: bx + pad + swatch + pad, y: ry + (swatch - BitmapFont.glyphHeight * s) / 2,
                                scale: s, colour: RGB8(r: 0, g: 0, b: 0))
            }
            result.legendRect = (bx, by, bw, bh)
        }

        if let ps = pixelSize, ps.source != .none, ps.micrometresPerPixel.isFinite, ps.micrometresPerPixel > 0,
           let um = niceLength(atMost: options.scaleBarTargetFraction * Double(w) * ps.micrometresPerPixel) {
            let barPx = Int((um / ps.micrometresPerPixel).rounded())
            if barPx >= 1 {
                let label = lengthLabel(micrometres: um)
                let labelW = BitmapFont.width(of: label, scale: s)
                let barT = max(2, 3 * s)
                let bw = pad + max(barPx, labelW) + pad
                let bh = pad + BitmapFont.glyphHeight * s + 2 * s + barT + pad
                let bx = w - pad - bw
                let by = h - max(0, options.bottomReservedRows) - pad - bh
                canvas.blendRect(x: bx, y: by, w: bw, h: bh, colour: RGB8(r: 255, g: 255, b: 255), alpha: 0.85)
                canvas.drawText(label, x: bx + (bw - labelW) / 2, y: by + pad, scale: s, colour: RGB8(r: 0, g: 0, b: 0))
                let barX = bx + (bw - barPx) / 2
                canvas.fillRect(x: barX, y: by + pad + BitmapFont.glyphHeight * s + 2 * s, w: barPx, h: barT,
                                colour: RGB8(r: 0, g: 0, b: 0))
                result.scaleBarLengthUm = um
                result.scaleBarLengthPx = barPx
                result.scaleBarLabel = label
                result.scaleBarRect = (barX, by + pad + BitmapFont.glyphHeight * s + 2 * s, barPx, barT)
            }
        }
        return result
    }
}

/// Clipped drawing primitives on an RGBImage that holds rows `[top, top + image.height)` of a
/// larger picture; coordinates are the picture's.
struct Canvas {
    var image: RGBImage
    var top = 0

    mutating func set(_ x: Int, _ y: Int, _ c: RGB8) {
        let ly = y - top
        guard x >= 0, ly >= 0, x < image.width, ly < image.height else { return }
        let i = (ly * image.width + x) * 3
        image.pixels[i] = c.r; image.pixels[i + 1] = c.g; image.pixels[i + 2] = c.b
    }

    mutating func fillRect(x: Int, y: Int, w: Int, h: Int, colour: RGB8) {
        let x0 = max(0, x), y0 = max(top, y), x1 = min(image.width, x + w), y1 = min(top + image.height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, colour) } }
    }

    mutating func blendRect(x: Int, y: Int, w: Int, h: Int, colour: RGB8, alpha: Double) {
        let x0 = max(0, x), y0 = max(top, y), x1 = min(image.width, x + w), y1 = min(top + image.height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let a = max(0, min(1, alpha))
        func mix(_ p: UInt8, _ q: UInt8) -> UInt8 { UInt8((Double(p) * (1 - a) + Double(q) * a).rounded()) }
        for yy in y0..<y1 {
            for xx in x0..<x1 {
                let i = ((yy - top) * image.width + xx) * 3
                image.pixels[i] = mix(image.pixels[i], colour.r)
                image.pixels[i + 1] = mix(image.pixels[i + 1], colour.g)
                image.pixels[i + 2] = mix(image.pixels[i + 2], colour.b)
            }
        }
    }

    mutating func strokeRect(x: Int, y: Int, w: Int, h: Int, colour: RGB8, thickness t: Int) {
        fillRect(x: x, y: y, w: w, h: t, colour: colour)
        fillRect(x: x, y: y + h - t, w: w, h: t, colour: colour)
        fillRect(x: x, y: y, w: t, h: h, colour: colour)
        fillRect(x: x + w - t, y: y, w: t, h: h, colour: colour)
    }

    mutating func drawText(_ text: String, x: Int, y: Int, scale s: Int, colour: RGB8) {
        var cx = x
        for ch in text {
            let g = BitmapFont.glyph(ch)
            for (row, bits) in g.enumerated() {
                for col in 0..<BitmapFont.glyphWidth where bits & (1 << (BitmapFont.glyphWidth - 1 - col)) != 0 {
                    fillRect(x: cx + col * s, y: y + row * s, w: s, h: s, colour: colour)
                }
            }
            cx += BitmapFont.advance * s
        }
    }
}
