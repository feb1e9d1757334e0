/// One connected object of a single class (8-connectivity) in a label mask.
/// Coordinates are pixel indices in the analysed mask: x right, y down, origin top-left.
public struct ConnectedObject: Equatable, Sendable {
    /// 1-based, in raster order of each object's first (top-most, then left-most) pixel.
    public var id: Int
    public var classIndex: Int
    public var areaPx: Int
    public var centroidX: Double
    public var centroidY: Double
    public var minX: Int, minY: Int, maxX: Int, maxY: Int
    /// True when any pixel lies on the first/last row or column of the analysed mask.
    public var touchesBorder: Bool

    /// Equivalent circle diameter in pixels: `2·sqrt(area/π)`.
    public var ecdPx: Double { 2.0 * (Double(areaPx) / Double.pi).squareRoot() }
}

/// 8-connected component labelling of every class in a row-major class-id buffer.
///
/// Algorithm: a single raster pass keeps provisional labels for only two rows (`2·width` Int32),
/// merges equivalences with union-find (the root is always the smaller label, so `parent[i] ≤ i`),
/// and accumulates area, coordinate sums, bounding box and border contact per provisional label;
/// a final pass over the provisional labels folds each into its root.
/// Time O(pixels · α); memory O(width + provisional labels) — no per-pixel label image, so a
/// 4096×4096 mask costs a few rows plus the object table.
public enum ConnectedComponents {
    /// Labels `labels` (`width·height` class ids). Classes listed in `skipClasses` are not labelled.
    public static func label(labels: [UInt8], width: Int, height: Int,
                             skipClasses: Set<Int> = []) -> [ConnectedObject] {
        precondition(labels.count >= width * height, "label buffer shorter than width*height")
        guard width > 0, height > 0 else { return [] }
        var skip = [Bool](repeating: false, count: 256)
        for c in skipClasses where c >= 0 && c < 256 { skip[c] = true }

        var table = ProvisionalTable()
        var prev = [Int32](repeating: -1, count: width)
        var cur = [Int32](repeating: -1, count: width)
        labels.withUnsafeBufferPointer { L in
            for y in 0..<height {
                let row = y * width
                let edgeRow = (y == 0 || y == height - 1)
                for x in 0..<width {
                    let c = L[row + x]
                    if skip[Int(c)] { cur[x] = -1; continue }
                    var lab: Int32 = -1
                    // West.
                    if x > 0 && cur[x - 1] >= 0 && L[row + x - 1] == c { lab = cur[x - 1] }
                    if y > 0 {
                        let up = row - width
                        // North-west, north, north-east.
                        for dx in -1...1 {
                            let nx = x + dx
                            if nx < 0 || nx >= width { continue }
                            let n = prev[nx]
                            if n < 0 || L[up + nx] != c { continue }
                            if lab < 0 { lab = n } else if lab != n { lab = table.union(lab, n) }
                        }
                    }
                    if lab < 0 { lab = table.make(classIndex: Int(c)) }
                    cur[x] = lab
                    table.add(Int(lab), x: x, y: y, border: edgeRow || x == 0 || x == width - 1)
                }
                swap(&prev, &cur)
            }
        }
        return table.resolve()
    }

    /// Labels a `LabelMask`.
    public static func label(_ mask: LabelMask, skipClasses: Set<Int> = []) -> [ConnectedObject] {
        label(labels: mask.labels, width: mask.width, height: mask.height, skipClasses: skipClasses)
    }
}

/// Per-provisional-label accumulators (struct of arrays) with union-find.
private struct ProvisionalTable {
    var parent: [Int32] = []
    var cls: [UInt8] = []
    var area: [Int] = []
    var sumX: [Int] = []
    var sumY: [Int] = []
    var minX: [Int32] = [], minY: [Int32] = [], maxX: [Int32] = [], maxY: [Int32] = []
    var border: [Bool] = []

    mutating func make(classIndex: Int) -> Int32 {
        let id = Int32(parent.count)
        parent.append(id); cls.append(UInt8(classIndex)); area.append(0)
        sumX.append(0); sumY.append(0)
        minX.append(Int32.max); minY.append(Int32.max); maxX.append(-1); maxY.append(-1)
        border.append(false)
        return id
    }

    mutating func find(_ a: Int32) -> Int32 {
        var r = a
        while parent[Int(r)] != r { r = parent[Int(r)] }
        var i = a
        while parent[Int(i)] != r { let next = parent[Int(i)]; parent[Int(i)] = r; i = next }
        return r
    }

    /// Unites the sets of `a` and `b`; returns the root (the smaller label).
    mutating func union(_ a: Int32, _ b: Int32) -> Int32 {
        let ra = find(a), rb = find(b)
        if ra == rb { return ra }
        let (lo, hi) = ra < rb ? (ra, rb) : (rb, ra)
        parent[Int(hi)] = lo
        return lo
    }

    mutating func add(_ i: Int, x: Int, y: Int, border b: Bool) {
        area[i] += 1; sumX[i] += x; sumY[i] += y
        let x32 = Int32(x), y32 = Int32(y)
        if x32 < minX[i] { minX[i] = x32 }
        if x32 > maxX[i] { maxX[i] = x32 }
        if y32 < minY[i] { minY[i] = y32 }
        if y32 > maxY[i] { maxY[i] = y32 }
        if b { border[i] = true }
    }

    /// Folds every label into its root and returns roots in ascending label order
    /// (= raster order of first pixel, since a root is the smallest label of its set).
    mutating func resolve() -> [ConnectedObject] {
        let n = parent.count
        for i in 0..<n {
            let r = Int(find(Int32(i)))
            if r == i { continue }
            area[r] += area[i]; sumX[r] += sumX[i]; sumY[r] += sumY[i]
            minX[r] = min(minX[r], minX[i]); minY[r] = min(minY[r], minY[i])
            maxX[r] = max(maxX[r], maxX[i]); maxY[r] = max(maxY[r], maxY[i])
            border[r] = border[r] || border[i]
        }
        var out: [ConnectedObject] = []
        for i in 0..<n where parent[i] == Int32(i) {
            let a = Double(area[i])
            out.append(ConnectedObject(
                id: out.count + 1, classIndex: Int(cls[i]), areaPx: area[i],
                centroidX: Double(sumX[i]) / a, centroidY: Double(sumY[i]) / a,
                minX: Int(minX[i]), minY: Int(minY[i]), maxX: Int(maxX[i]), maxY: Int(maxY[i]),
                touchesBorder: border[i]))
        }
        return out
    }
}
