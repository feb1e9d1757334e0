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
/// Algorithm: a single raster pass over runs (maximal horizontal stretches of one class). A run
/// joins every run of the same class in the previous row that overlaps it or touches it
/// diagonally (columns `x0 − 1 … x1 + 1`); equivalences go to a union-find over provisional labels
/// (the root is always the smaller label, so `parent[i] ≤ i`). Area, coordinate sums, bounding box
/// and border contact are accumulated per run into its provisional label, and a final pass folds
/// each label into its root.
/// Time O(pixels + runs·α); memory O(runs of two rows + provisional labels) — no per-pixel label
/// image, so a 4096×4096 mask costs two run lists plus the object table.
public enum ConnectedComponents {
    /// Labels `labels` (`width·height` class ids). Classes listed in `skipClasses` are not labelled.
    public static func label(labels: [UInt8], width: Int, height: Int,
                             skipClasses: Set<Int> = []) -> [ConnectedObject] {
        precondition(labels.count >= width * height, "label buffer shorter than width*height")
        guard width > 0, height > 0 else { return [] }
        var skip = [Bool](repeating: false, count: 256)
        for c in skipClasses where c >= 0 && c < 256 { skip[c] = true }

        var table = ProvisionalTable()
        var prev: [Run] = [], cur: [Run] = []
        prev.reserveCapacity(64); cur.reserveCapacity(64)
        labels.withUnsafeBufferPointer { L in
            for y in 0..<height {
                let row = y * width
                let edgeRow = (y == 0 || y == height - 1)
                cur.removeAll(keepingCapacity: true)
                var j = 0   // first previous-row run that may still touch the current run
                var x0 = 0
                while x0 < width {
                    let c = L[row + x0]
                    var x1 = x0
                    while x1 + 1 < width && L[row + x1 + 1] == c { x1 += 1 }
                    defer { x0 = x1 + 1 }
                    if skip[Int(c)] { continue }
                    // Previous-row runs are sorted and disjoint: skip those ending before x0 − 1.
                    while j < prev.count && prev[j].x1 < x0 - 1 { j += 1 }
                    var lab: Int32 = -1
                    var k = j
                    while k < prev.count && prev[k].x0 <= x1 + 1 {
                        if prev[k].cls == c {
                            lab = lab < 0 ? prev[k].label : table.union(lab, prev[k].label)
                        }
                        k += 1
                    }
                    if lab < 0 { lab = table.make(classIndex: Int(c)) }
                    table.addRun(Int(lab), x0: x0, x1: x1, y: y,
                                 border: edgeRow || x0 == 0 || x1 == width - 1)
                    cur.append(Run(x0: x0, x1: x1, cls: c, label: lab))
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

/// A maximal horizontal run `x0…x1` (inclusive) of class `cls` with its provisional label.
private struct Run {
    var x0: Int
    var x1: Int
    var cls: UInt8
    var label: Int32
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

    /// Adds the pixels `x0…x1` of row `y` to label `i`.
    mutating func addRun(_ i: Int, x0: Int, x1: Int, y: Int, border b: Bool) {
        let n = x1 - x0 + 1
        area[i] += n; sumX[i] += (x0 + x1) * n / 2; sumY[i] += y * n
        if Int32(x0) < minX[i] { minX[i] = Int32(x0) }
        if Int32(x1) > maxX[i] { maxX[i] = Int32(x1) }
        if Int32(y) < minY[i] { minY[i] = Int32(y) }
        if Int32(y) > maxY[i] { maxY[i] = Int32(y) }
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
