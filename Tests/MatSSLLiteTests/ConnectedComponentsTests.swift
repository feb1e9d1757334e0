import Testing
@testable import MatSSLLite

@Suite struct ConnectedComponentsTests {
    @Test func diagonallyTouchingPixelsAreOneObject() {
        // 1 . . .
        // . 1 . 1
        // . . 1 .
        let l: [UInt8] = [1, 0, 0, 0,
                          0, 1, 0, 1,
                          0, 0, 1, 0]
        let objs = ConnectedComponents.label(labels: l, width: 4, height: 3, skipClasses: [0])
        #expect(objs.count == 1)
        #expect(objs.first?.areaPx == 4)
        #expect(objs.first?.minX == 0 && objs.first?.maxX == 3 && objs.first?.minY == 0 && objs.first?.maxY == 2)
    }

    @Test func uShapeMergesLabelsFromBothArms() {
        // Two arms start as separate provisional labels and merge at the bottom.
        let l: [UInt8] = [1, 0, 0, 1,
                          1, 0, 0, 1,
                          1, 1, 1, 1]
        let objs = ConnectedComponents.label(labels: l, width: 4, height: 3, skipClasses: [0])
        #expect(objs.count == 1)
        #expect(objs[0].areaPx == 8)
        #expect(abs(objs[0].centroidX - 1.5) < 1e-12)
        #expect(abs(objs[0].centroidY - (0 + 0 + 1 + 1 + 2 * 4) / 8.0) < 1e-12)
    }

    @Test func classesAreLabelledSeparatelyAndIdsFollowRasterOrder() {
        let l: [UInt8] = [2, 2, 0, 1,
                          0, 0, 0, 1,
                          1, 0, 0, 0]
        let objs = ConnectedComponents.label(labels: l, width: 4, height: 3)
        // Raster order of first pixels: class2 at (0,0), class0 at (2,0), class1 at (3,0), class1 at (0,2).
        #expect(objs.map(\.classIndex) == [2, 0, 1, 1])
        #expect(objs.map(\.id) == [1, 2, 3, 4])
        #expect(objs.map(\.areaPx) == [2, 7, 2, 1])
        #expect(objs.allSatisfy { $0.touchesBorder })
    }

    @Test func interiorObjectIsNotFlaggedAsBorder() {
        let m = SyntheticMask.discs(width: 20, height: 20, [(10, 10, 3, 1), (0, 10, 3, 1)])
        let objs = ConnectedComponents.label(m, skipClasses: [0])
        #expect(objs.count == 2)
        let border = objs.filter(\.touchesBorder)
        #expect(border.count == 1)
        #expect(border.first?.minX == 0)
    }

    @Test func spiralNeedingManyMergesIsOneObject() {
        // A comb: many vertical teeth joined at the bottom — each tooth gets its own provisional label.
        let w = 41, h = 10
        var l = [UInt8](repeating: 0, count: w * h)
        for y in 0..<h { for x in 0..<w where x % 2 == 0 || y == h - 1 { l[y * w + x] = 1 } }
        let objs = ConnectedComponents.label(labels: l, width: w, height: h, skipClasses: [0])
        #expect(objs.count == 1)
        #expect(objs[0].areaPx == 21 * (h - 1) + w)
    }
}

/// Plain reference twin: breadth-first flood fill with an explicit label image.
func floodFillReference(_ l: [UInt8], _ w: Int, _ h: Int) -> [ConnectedObject] {
    var seen = [Bool](repeating: false, count: w * h)
    var out: [ConnectedObject] = []
    for start in 0..<(w * h) where !seen[start] {
        let c = l[start]
        var queue = [start], head = 0
        seen[start] = true
        var area = 0, sx = 0, sy = 0, x0 = Int.max, y0 = Int.max, x1 = -1, y1 = -1, border = false
        while head < queue.count {
            let p = queue[head]; head += 1
            let x = p % w, y = p / w
            area += 1; sx += x; sy += y
            x0 = min(x0, x); x1 = max(x1, x); y0 = min(y0, y); y1 = max(y1, y)
            if x == 0 || y == 0 || x == w - 1 || y == h - 1 { border = true }
            for dy in -1...1 { for dx in -1...1 {
                let nx = x + dx, ny = y + dy
                guard nx >= 0, ny >= 0, nx < w, ny < h else { continue }
                let q = ny * w + nx
                if !seen[q] && l[q] == c { seen[q] = true; queue.append(q) }
            } }
        }
        out.append(ConnectedObject(id: out.count + 1, classIndex: Int(c), areaPx: area,
                                   centroidX: Double(sx) / Double(area), centroidY: Double(sy) / Double(area),
                                   minX: x0, minY: y0, maxX: x1, maxY: y1, touchesBorder: border))
    }
    return out
}

@Suite struct ConnectedComponentsReferenceTests {
    @Test(arguments: [(37, 23, 2), (64, 64, 3), (1, 50, 2), (50, 1, 4), (97, 61, 5)])
    func matchesFloodFillOnRandomMasks(w: Int, h: Int, classes: Int) {
        var rng = SystemRandomNumberGenerator()
        for density in [0.2, 0.5, 0.8] {
            // Random blobs: each pixel copies a neighbour with probability `density`, else random.
            var l = [UInt8](repeating: 0, count: w * h)
            for i in 0..<(w * h) {
                if i > 0 && Double.random(in: 0..<1, using: &rng) < density { l[i] = l[i - 1] }
                else { l[i] = UInt8.random(in: 0..<UInt8(classes), using: &rng) }
            }
            let fast = ConnectedComponents.label(labels: l, width: w, height: h)
            let ref = floodFillReference(l, w, h)
            #expect(fast.count == ref.count)
            // Both number objects in raster order of their first pixel.
            for (a, b) in zip(fast, ref) {
                #expect(a.classIndex == b.classIndex && a.areaPx == b.areaPx && a.touchesBorder == b.touchesBorder)
                #expect(a.minX == b.minX && a.maxX == b.maxX && a.minY == b.minY && a.maxY == b.maxY)
                #expect(abs(a.centroidX - b.centroidX) < 1e-9 && abs(a.centroidY - b.centroidY) < 1e-9)
            }
        }
    }
}
