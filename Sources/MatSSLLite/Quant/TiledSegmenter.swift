import Foundation
import QuantKernels

/// Segments an image of any size with an int8 model in bounded memory: the image (edge-replicated
/// to multiples of 32) is cut into tiles whose cores are aligned to 32 pixels and whose halo covers
/// the network's receptive field, so each core pixel sees exactly what it would see in a
/// whole-image pass — the tiled result equals the whole-image result bit for bit (no seams).
/// Input rows are read once, in order, and held only while a band of tiles needs them.
public final class TiledSegmenter {
    /// The first (or only) model: its class names, tiling and halo defaults apply.
    public let model: QuantizedModel
    public let runner: Int8GraphRunner
    /// One runner per model whose logits are summed per pixel (just `runner` unless an ensemble was given).
    let runners: [Int8GraphRunner]
    /// Maximum pixels of one tile including its halo (bounds activation memory).
    public let tilePixelBudget: Int
    /// Halo in pixels on each side (a multiple of 32, ≥ the receptive radius unless overridden).
    public let halo: Int
    /// Views whose logits are summed per pixel (`.none`: one pass, argmax fused into the classifier).
    /// Each tile is transformed whole (it is padded to multiples of 32 and its halo covers the
    /// receptive field on every side), so the tiled result still equals the whole-image result.
    public var augmentation: TestTimeAugmentation

    public convenience init(model: QuantizedModel, tilePixelBudget: Int? = nil, halo: Int? = nil,
                            augmentation: TestTimeAugmentation = .none) {
        // Cannot throw: one model is never empty nor disagrees with itself.
        try! self.init(ensemble: [model], tilePixelBudget: tilePixelBudget, halo: halo, augmentation: augmentation)
    }

    /// An ensemble: the logits of every model (and every augmented view) are summed before the
    /// argmax. The models must share their class names and intensity standardisation; the halo
    /// defaults to the largest.
    public init(ensemble models: [QuantizedModel], tilePixelBudget: Int? = nil, halo: Int? = nil,
                augmentation: TestTimeAugmentation = .none) throws {
        guard let first = models.first else { throw ModelError.invalidConfig("ensemble: no model") }
        for m in models.dropFirst() where m.classNames != first.classNames {
            throw ModelError.invalidConfig("ensemble: \(m.info.name) \(m.info.version) has classes \(m.classNames), "
                                           + "\(first.info.name) \(first.info.version) has \(first.classNames)")
        }
        // One table re-maps the rows for every member, so they must agree on it.
        for m in models.dropFirst() where IntensityStandardization(config: m.info.config) != IntensityStandardization(config: first.info.config) {
            throw ModelError.invalidConfig("ensemble: \(m.info.name) \(m.info.version) and \(first.info.name) \(first.info.version) "
                                           + "differ in per-image intensity standardisation")
        }
        model = first
        runners = models.map { Int8GraphRunner(model: $0) }
        runner = runners[0]
        self.tilePixelBudget = tilePixelBudget ?? first.info.tilePixelBudget
        self.halo = halo ?? models.map(\.info.halo).max()!
        self.augmentation = augmentation
    }

    /// The tiling of a padded image: cores of `coreHeight` × `coreWidth` (multiples of 32; the last
    /// row and column of cores may be shorter), each computed as a tile that adds `halo` pixels on
    /// every side, clipped to the padded image.
    public struct Plan: Equatable, Sendable {
        public var paddedHeight: Int, paddedWidth: Int
        public var coreHeight: Int, coreWidth: Int
        public var halo: Int
        public var tiles: Int { Self.cores(paddedHeight, coreHeight) * Self.cores(paddedWidth, coreWidth) }
        /// Pixels the network computes over all tiles (≥ the padded image; the excess is halo).
        public var networkPixels: Int {
            Self.tileSpans(paddedHeight, core: coreHeight, halo: halo).sum * Self.tileSpans(paddedWidth, core: coreWidth, halo: halo).sum
        }
        /// Pixels of the largest tile (what bounds activation memory).
        public var largestTilePixels: Int {
            Self.tileSpans(paddedHeight, core: coreHeight, halo: halo).max * Self.tileSpans(paddedWidth, core: coreWidth, halo: halo).max
        }

        static func cores(_ size: Int, _ core: Int) -> Int { (size + core - 1) / core }

        /// Sum and maximum of the tile extents along one side of `size` cut into cores of `core`.
        static func tileSpans(_ size: Int, core: Int, halo: Int) -> (sum: Int, max: Int) {
            var sum = 0, largest = 0, start = 0
            while start < size {
                let end = min(size, start + core)
                let span = min(size, end + halo) - max(0, start - halo)
                sum += span; largest = max(largest, span)
                start = end
            }
            return (sum, largest)
        }

        /// See `TiledSegmenter.plan(height:width:)`.
        public static func best(height: Int, width: Int, halo: Int, tilePixelBudget: Int) -> Self {
            let a = InferenceGraph.alignment
            let hp = (height + a - 1) / a * a, wp = (width + a - 1) / a * a
            let rows = stride(from: a, through: hp, by: a).map { ($0, tileSpans(hp, core: $0, halo: halo)) }
            let cols = stride(from: a, through: wp, by: a).map { ($0, tileSpans(wp, core: $0, halo: halo)) }
            // Ordered by (fits the budget, network work, tiles, largest tile) — fewer, larger tiles on ties.
            var best: (key: (Int, Int, Int, Int), ch: Int, cw: Int)?
            for (ch, r) in rows {
                for (cw, c) in cols {
                    let largest = r.max * c.max
                    let fits = largest <= tilePixelBudget
                    let key = (fits ? 0 : 1, fits ? r.sum * c.sum : largest, cores(hp, ch) * cores(wp, cw), largest)
                    if best == nil || key < best!.key { best = (key, ch, cw) }
                }
            }
            return Self(paddedHeight: hp, paddedWidth: wp, coreHeight: best!.ch, coreWidth: best!.cw, halo: halo)
        }
    }

    /// The tiling with the least network work (`Plan.networkPixels`) whose every tile fits in
    /// `tilePixelBudget`; the whole image as one tile when it fits. Tiles at the image's edges have
    /// no halo on that side, so e.g. a 1536×1120 image under a 1.5 Mpx budget is best cut into two
    /// 1152×1120 tiles (1.5× the image's pixels), not into full-width bands (4×). If no tiling fits
    /// the budget (a budget below (32 + 2·halo)²), the one with the smallest tiles.
    ///
    /// Work and tile size separate into a height part and a width part (every row of tiles has the
    /// same heights, every column the same widths), so all pairs of core sizes are tried:
    /// (height/32)·(width/32) products, cheap next to one tile of network work.
    public func plan(height: Int, width: Int) -> Plan {
        Plan.best(height: height, width: width, halo: halo, tilePixelBudget: tilePixelBudget)
    }

    /// The per-image standardisation the model asks for (`ModelConfig.standardizeIntensity`), or nil.
    public var standardization: IntensityStandardization? { IntensityStandardization(config: model.info.config) }

    /// Segments an image held in memory (an SEM data bar must be cut off first, e.g.
    /// `GrayImage.droppingBottomRows`, so that it stays out of a standardising model's statistics).
    public func segment(_ image: GrayImage) throws -> LabelMask {
        var stats: IntensityStandardization.Statistics?
        if standardization != nil {
            var s = IntensityStandardization.Statistics()
            image.pixels.withUnsafeBufferPointer { s.add(unit: $0) }
            stats = s
        }
        var next = 0
        return try segment(height: image.height, width: image.width, statistics: stats) { buffer in
            image.pixels.withUnsafeBufferPointer { px in
                buffer.baseAddress!.update(from: px.baseAddress! + next * image.width, count: image.width)
            }
            next += 1
        }
    }

    /// Segments an image streamed row by row (e.g. a 4096×4096 TIFF) without holding it whole.
    /// A model with per-image standardisation needs the image's statistics first: the file is
    /// then read once more, ahead of `reader` (`IntensityStandardization.statistics(path:limits:)`).
    /// - Parameter rows: segment only the top `rows` rows (default: all; the rest are never read,
    ///   nor counted in a standardising model's statistics — how an SEM data bar is left out).
    /// - Returns: `[rows, width]` class ids.
    public func segment(reader: ImageRowReader, rows: Int? = nil) throws -> LabelMask {
        let height = rows ?? reader.info.height
        guard height >= 1, height <= reader.info.height else {
            throw ModelError.badInput("\(reader.path): \(height) of its \(reader.info.height) rows cannot be segmented")
        }
        let stats = standardization == nil ? nil
            : try IntensityStandardization.statistics(path: reader.path, limits: reader.limits,
                                                      rows: height)
        return try segment(height: height, width: reader.info.width, statistics: stats) { buffer in
            try reader.readRows(1, into: buffer)
        }
    }

    /// - Parameter statistics: the whole image's grey-value statistics; required when the model
    ///   standardises intensities (its rows are then re-mapped by `IntensityStandardization.table`).
    /// - Parameter nextRow: fills the next image row (width floats in [0, 1]), top to bottom.
    public func segment(height: Int, width: Int, statistics: IntensityStandardization.Statistics? = nil,
                        nextRow: (UnsafeMutableBufferPointer<Float>) throws -> Void) throws -> LabelMask {
        guard height > 0, width > 0 else { throw ModelError.badInput("empty image \(width)×\(height)") }
        var table: [UInt8]?
        if let st = standardization {
            guard let statistics else {
                throw ModelError.badInput("model \(model.info.name) \(model.info.version) standardises intensities: the image's statistics are needed before its rows")
            }
            table = st.table(for: statistics)
        }
        let p = plan(height: height, width: width)
        var labels = [UInt8](repeating: 0, count: width * height)
        // Window of quantized, padded rows [windowStart, windowStart + window.count / wp).
        let wp = p.paddedWidth
        var window: [UInt8] = []
        var windowStart = 0
        var rowsRead = 0
        var lastRow = [UInt8](repeating: 0, count: wp)
        var floatRow = [Float](repeating: 0, count: width)
        func appendRow() throws {
            if rowsRead < height {
                try floatRow.withUnsafeMutableBufferPointer { try nextRow($0) }
                qk_f32_unit_to_u8(floatRow, width, &lastRow)
                if let table { for x in 0..<width { lastRow[x] = table[Int(lastRow[x])] } }
                for x in width..<wp { lastRow[x] = lastRow[width - 1] }
            }
            // Rows past the image repeat its last row (edge replication to the padded height).
            window.append(contentsOf: lastRow)
            rowsRead += 1
        }
        var tile: [UInt8] = []
        var tileLabels: [UInt8] = []
        var y0 = 0
        while y0 < p.paddedHeight {
            let y1 = min(p.paddedHeight, y0 + p.coreHeight)
            let inTop = max(0, y0 - halo), inBottom = min(p.paddedHeight, y1 + halo)
            while windowStart + window.count / wp < inBottom { try appendRow() }
            if inTop > windowStart {
                window.removeFirst((inTop - windowStart) * wp)
                windowStart = inTop
            }
            let th = inBottom - inTop
            var x0 = 0
            while x0 < wp {
                let x1 = min(wp, x0 + p.coreWidth)
                let inLeft = max(0, x0 - halo), inRight = min(wp, x1 + halo)
                let tw = inRight - inLeft
                tile.removeAll(keepingCapacity: true)
                for r in 0..<th {
                    let base = (inTop - windowStart + r) * wp
                    tile.append(contentsOf: window[(base + inLeft)..<(base + inRight)])
                }
                // The core in tile coordinates (padded sides: multiples of 32), which is all the
                // runner computes labels for.
                let region = GridRect(y0: y0 - inTop, y1: y1 - inTop, x0: x0 - inLeft, x1: x1 - inLeft)
                if augmentation != .none || runners.count > 1 {
                    let core = CoreRegion(top: y0 - inTop, left: x0 - inLeft, height: min(y1, height) - y0,
                                          width: min(x1, width) - x0)
                    let coreLabels = try augmentedCore(tile: tile, height: th, width: tw, core: core, region: region)
                    Self.copyRows(coreLabels, start: 0, stride: core.width, into: &labels, start: y0 * width + x0,
                                  stride: width, rows: core.height, count: core.width)
                    x0 = x1
                    continue
                }
                if tileLabels.count < region.height * region.width { tileLabels = [UInt8](repeating: 0, count: region.height * region.width) }
                try tile.withUnsafeBufferPointer { t in
                    try tileLabels.withUnsafeMutableBufferPointer { l in
                        try runner.run(tile: t, height: th, width: tw, region: region, labels: l)
                    }
                }
                // Copy the core (clipped to the real image) into the mask.
                Self.copyRows(tileLabels, start: 0, stride: region.width, into: &labels,
                              start: y0 * width + x0, stride: width, rows: min(y1, height) - y0, count: min(x1, width) - x0)
                x0 = x1
            }
            y0 = y1
        }
        return LabelMask(width: width, height: height, labels: labels)
    }

    /// Copies `rows` rows of `count` labels from `src` (row stride `srcStride`, first at `srcStart`)
    /// into `dst` (row stride `dstStride`, first at `dstStart`); nothing when either is ≤ 0.
    static func copyRows(_ src: [UInt8], start srcStart: Int, stride srcStride: Int, into dst: inout [UInt8],
                         start dstStart: Int, stride dstStride: Int, rows: Int, count: Int) {
        guard rows > 0, count > 0 else { return }
        precondition(srcStart >= 0 && srcStart + (rows - 1) * srcStride + count <= src.count
                     && dstStart >= 0 && dstStart + (rows - 1) * dstStride + count <= dst.count, "copyRows out of bounds")
        src.withUnsafeBufferPointer { s in
            dst.withUnsafeMutableBufferPointer { d in
                for r in 0..<rows {
                    (d.baseAddress! + dstStart + r * dstStride).update(from: s.baseAddress! + srcStart + r * srcStride, count: count)
                }
            }
        }
    }

    /// The indices t in 0..<count for which start + t·step lies in 0..<size (step −1, 0 or 1).
    static func span(start: Int, step: Int, size: Int, count: Int) -> Range<Int> {
        let lo: Int, hi: Int
        switch step {
        case 0: (lo, hi) = start >= 0 && start < size ? (0, count) : (0, 0)
        case 1: (lo, hi) = (max(0, -start), min(count, size - start))
        default:
            precondition(step == -1, "span step \(step)")
            (lo, hi) = (max(0, start - size + 1), min(count, start + 1))
        }
        return lo..<max(lo, hi)
    }

    /// The part of a tile whose labels are kept (tile coordinates; clipped to the real image).
    struct CoreRegion { var top: Int, left: Int, height: Int, width: Int }

    /// Test-time augmentation (and ensembling) of one tile: the logits of every view of every member,
    /// mapped back to the tile's own orientation, are summed (members and views in a fixed order, so
    /// the sum is deterministic) over the core only, then argmax (ties go to the lower class id).
    /// Memory: core × classes floats.
    /// - Returns: `[core.height, core.width]` class ids.
    /// - Parameter region: the core widened to the tile's 32-pixel grid (what the runner computes);
    ///   nil: the whole tile.
    func augmentedCore(tile: [UInt8], height th: Int, width tw: Int, core: CoreRegion, region: GridRect? = nil) throws -> [UInt8] {
        let k = model.classNames.count
        guard core.height > 0, core.width > 0 else { return [] }
        var sum = [Float](repeating: 0, count: core.height * core.width * k)
        for runner in runners {
            for t in augmentation.transforms {
                try addLogits(runner, view: t, tile: tile, height: th, width: tw, core: core,
                              region: region ?? GridRect(y0: 0, y1: th, x0: 0, x1: tw), into: &sum)
            }
        }
        var out = [UInt8](repeating: 0, count: core.height * core.width)
        sum.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { ClassArgmax.fill(s, pixels: core.height * core.width, classes: k, into: $0) }
        }
        return out
    }

    /// Adds one member's logits for one view of the tile to `sum` (`[core.height, core.width, classes]`),
    /// mapped back to the tile's orientation, core pixels only. The runner computes the view of
    /// `region` (tile coordinates) only.
    private func addLogits(_ runner: Int8GraphRunner, view t: DihedralTransform, tile: [UInt8], height th: Int,
                           width tw: Int, core: CoreRegion, region: GridRect, into sum: inout [Float]) throws {
        let k = model.classNames.count
        let (vh, vw) = t.outputSize(height: th, width: tw)
        let view = tile.withUnsafeBufferPointer { t.apply($0, height: th, width: tw) }
        let vr = t.viewRect(region, height: th, width: tw)
        // Per view row: where its in-core part starts in `sum`, its step there, where it starts in the band.
        var dstOff = [Int](), dstStep = [Int](), srcOff = [Int](), count = [Int]()
        try view.withUnsafeBufferPointer { v in
            try runner.run(tile: v, height: vh, width: vw, region: vr) { row0, rows, logits in
                dstOff.removeAll(keepingCapacity: true); dstStep.removeAll(keepingCapacity: true)
                srcOff.removeAll(keepingCapacity: true); count.removeAll(keepingCapacity: true)
                for r in 0..<rows {
                    // The view's row segment (columns vr.x0..<vr.x1) is a line in the tile: keep the
                    // part inside the core.
                    let m = t.rowMap(row0 + r, height: th, width: tw)
                    let cy0 = m.y0 + vr.x0 * m.dy - core.top, cx0 = m.x0 + vr.x0 * m.dx - core.left
                    let ys = Self.span(start: cy0, step: m.dy, size: core.height, count: vr.width)
                    let xs = Self.span(start: cx0, step: m.dx, size: core.width, count: vr.width)
                    let lo = max(ys.lowerBound, xs.lowerBound), hi = min(ys.upperBound, xs.upperBound)
                    guard lo < hi else { continue }
                    dstOff.append(((cy0 + lo * m.dy) * core.width + cx0 + lo * m.dx) * k)
                    dstStep.append((m.dy * core.width + m.dx) * k)
                    srcOff.append((r * vr.width + lo) * k)
                    count.append(hi - lo)
                }
                // The view is a bijection onto the tile, so rows never share a destination pixel.
                sum.withUnsafeMutableBufferPointer { acc in
                    qk_f32_add_strided_rows(acc.baseAddress!, logits.baseAddress!, dstOff, dstStep, srcOff, count,
                                            dstOff.count, Int32(k))
                }
            }
        }
    }
}
