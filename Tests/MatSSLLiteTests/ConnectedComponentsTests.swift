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
