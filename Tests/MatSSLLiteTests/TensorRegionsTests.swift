import Testing
@testable import MatSSLLite

/// `TensorRegions` and the runner's region mode: computing every tensor only where the wanted
/// labels depend on it must give the whole-tile run's labels and logits there, bit for bit.
@Suite struct TensorRegionsTests {
    static func u8Tile(height h: Int, width w: Int, seed: UInt64) -> [UInt8] {
        let image = makeTestImage(height: h, width: w, seed: seed)
        return (0..<(h * w)).map { UInt8(max(0, min(255, (image[$0] * 255).rounded()))) }
    }

    @Test func theWholeOutputNeedsEveryTensorWhole() throws {
        let (_, model) = try makeTestInt8Model()
        let g = model.info.graph
        let r = TensorRegions(graph: g, height: 256, width: 320, output: GridRect(y0: 0, y1: 256, x0: 0, x1: 320))
        for (t, rect) in r.rects.enumerated() {
            let s = g.tensors[t].stride
            #expect(rect == GridRect(y0: 0, y1: 256 / s, x0: 0, x1: 320 / s), "tensor \(t) (\(g.tensors[t].name))")
        }
        #expect(r.macs(g) == g.macs(height: 256, width: 320))
    }

    /// A core deep inside a tile with a full halo: the input is needed over the core ± the receptive
    /// radius (rounded out to 32), and the last decoder convs over little more than the core.
    @Test func aCentralCoreNeedsItsReceptiveFieldAndLessLater() throws {
        let (_, model) = try makeTestInt8Model()
        let g = model.info.graph
        let halo = model.info.halo, core = 64
        let side = core + 2 * halo
        let out = GridRect(y0: halo, y1: halo + core, x0: halo, x1: halo + core)
        let r = TensorRegions(graph: g, height: side, width: side, output: out)
        let radius = g.receptiveRadius()
        #expect(r.rects[0].y0 <= halo - radius && r.rects[0].y0 > halo - radius - 32, "input \(r.rects[0]), radius \(radius)")
        #expect(r.rects[g.output] == out)
        let lastConv = g.convs.last { !$0.floatOutput }!
        let before = r.rects[lastConv.output]
        #expect(before.height <= core + 2 * 32 && before.width <= core + 2 * 32, "last decoder conv computes \(before)")
        #expect(r.macs(g) * 2 < g.macs(height: side, width: side), "regions \(r.macs(g)) vs whole tile \(g.macs(height: side, width: side)) MACs")
    }

    /// Random regions on the 32-pixel grid, at the tile's edges and inside it: labels and logits
    /// equal the whole-tile run's, cropped.
    @Test func regionRunsEqualTheWholeTileRun() throws {
        let (_, model) = try makeTestInt8Model()
        let runner = Int8GraphRunner(model: model)
        let k = model.classNames.count
        let h = 320, w = 384
        let tile = Self.u8Tile(height: h, width: w, seed: 41)
        var wholeLabels = [UInt8](repeating: 0, count: h * w)
        try tile.withUnsafeBufferPointer { t in
            try wholeLabels.withUnsafeMutableBufferPointer { try runner.run(tile: t, height: h, width: w, labels: $0) }
        }
        expectVaried(wholeLabels)
        var wholeLogits = [Float](repeating: .nan, count: h * w * k)
        try tile.withUnsafeBufferPointer { t in
            try runner.run(tile: t, height: h, width: w) { row0, rows, values in
                for i in 0..<(rows * w * k) { wholeLogits[row0 * w * k + i] = values[i] }
            }
        }
        var rng = RandomState(seed: 5)
        var regions = [GridRect(y0: 0, y1: 32, x0: 0, x1: 32), GridRect(y0: 288, y1: 320, x0: 352, x1: 384),
                       GridRect(y0: 0, y1: 320, x0: 128, x1: 160), GridRect(y0: 96, y1: 224, x0: 64, x1: 384)]
        for _ in 0..<4 {
            let y0 = rng.int(h / 32) * 32, x0 = rng.int(w / 32) * 32
            regions.append(GridRect(y0: y0, y1: y0 + 32 * (1 + rng.int((h - y0) / 32)), x0: x0, x1: x0 + 32 * (1 + rng.int((w - x0) / 32))))
        }
        for r in regions {
            var labels = [UInt8](repeating: 0, count: r.height * r.width)
            try tile.withUnsafeBufferPointer { t in
                try labels.withUnsafeMutableBufferPointer { try runner.run(tile: t, height: h, width: w, region: r, labels: $0) }
            }
            var expected = [UInt8](), expectedLogits = [Float]()
            for y in r.y0..<r.y1 {
                expected += wholeLabels[(y * w + r.x0)..<(y * w + r.x1)]
                expectedLogits += wholeLogits[((y * w + r.x0) * k)..<((y * w + r.x1) * k)]
            }
            #expect(labels == expected, "labels of \(r)")
            var logits = [Float](repeating: .nan, count: r.height * r.width * k)
            var nextRow = r.y0
            try tile.withUnsafeBufferPointer { t in
                try runner.run(tile: t, height: h, width: w, region: r) { row0, rows, values in
                    #expect(row0 == nextRow)
                    nextRow += rows
                    for i in 0..<(rows * r.width * k) { logits[(row0 - r.y0) * r.width * k + i] = values[i] }
                }
            }
            #expect(nextRow == r.y1)
            #expect(logits == expectedLogits, "logits of \(r)")
        }
    }

    @Test func regionsOffTheGridAreRefused() throws {
        let (_, model) = try makeTestInt8Model()
        let runner = Int8GraphRunner(model: model)
        let tile = [UInt8](repeating: 100, count: 64 * 64)
        var labels = [UInt8](repeating: 0, count: 64 * 64)
        for bad in [GridRect(y0: 8, y1: 40, x0: 0, x1: 32), GridRect(y0: 0, y1: 96, x0: 0, x1: 32), GridRect(y0: 32, y1: 32, x0: 0, x1: 32)] {
            #expect(throws: ModelError.self) {
                try tile.withUnsafeBufferPointer { t in
                    try labels.withUnsafeMutableBufferPointer { try runner.run(tile: t, height: 64, width: 64, region: bad, labels: $0) }
                }
            }
        }
    }

    /// `viewRect` is the image of the rectangle: every view pixel in it comes from the rectangle,
    /// and it has the rectangle's area.
    @Test(arguments: DihedralTransform.allCases)
    func viewRectIsTheImageOfTheRectangle(t: DihedralTransform) {
        let h = 96, w = 160
        let rect = GridRect(y0: 32, y1: 64, x0: 64, x1: 160)
        let v = t.viewRect(rect, height: h, width: w)
        #expect(v.height * v.width == rect.height * rect.width)
        let (vh, vw) = t.outputSize(height: h, width: w)
        #expect(v.y0 >= 0 && v.y1 <= vh && v.x0 >= 0 && v.x1 <= vw)
        for ty in v.y0..<v.y1 {
            for tx in v.x0..<v.x1 {
                let s = t.source(ty, tx, height: h, width: w)
                #expect(rect.y0 <= s.y && s.y < rect.y1 && rect.x0 <= s.x && s.x < rect.x1)
                #expect(t.target(s.y, s.x, height: h, width: w) == (ty, tx))
            }
        }
    }
}
