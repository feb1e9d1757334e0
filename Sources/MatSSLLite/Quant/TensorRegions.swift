/// A rectangle of one tensor's grid (its own stride): rows `y0..<y1`, columns `x0..<x1`.
public struct GridRect: Equatable, Sendable, CustomStringConvertible {
    public var y0: Int, y1: Int, x0: Int, x1: Int
    public init(y0: Int, y1: Int, x0: Int, x1: Int) { self.y0 = y0; self.y1 = y1; self.x0 = x0; self.x1 = x1 }
    public var height: Int { y1 - y0 }
    public var width: Int { x1 - x0 }
    public var isEmpty: Bool { y1 <= y0 || x1 <= x0 }
    public var description: String { "rows \(y0)..<\(y1) × cols \(x0)..<\(x1)" }

    /// The smallest rectangle holding both (an empty one holds nothing).
    func union(_ o: GridRect) -> GridRect {
        if isEmpty { return o }
        if o.isEmpty { return self }
        return GridRect(y0: min(y0, o.y0), y1: max(y1, o.y1), x0: min(x0, o.x0), x1: max(x1, o.x1))
    }

    /// Whether `o` lies inside this rectangle.
    func contains(_ o: GridRect) -> Bool { o.y0 >= y0 && o.y1 <= y1 && o.x0 >= x0 && o.x1 <= x1 }
}

/// Which part of every tensor of an `InferenceGraph` a tile's run must compute so that the logits
/// are exact over `output` (a rectangle of the tile, multiples of 32 pixels): each tensor only over
/// the output plus the receptive radius of the ops after it, not over the whole tile — the last
/// decoder convs need a few pixels around the core, the stem the full halo.
///
/// Regions are found backwards from the logits: a conv (kernel k, padding p, stride s) needs input
/// rows `a·s − p ..< (b − 1)·s − p + k` for output rows `a..<b` (likewise a 3×3/2 max pool with
/// padding 1), a 2× upsample rows `a/2 ..< b/2`, a concat or a residual add the same rectangle;
/// a tensor read by several ops gets the union. Every region is then widened to multiples of
/// 32/stride (so upsampled regions start on even rows and columns) and clipped to the tensor.
/// Where a needed window leaves the tensor, the runner pads it exactly as the whole-tile run pads
/// the tensor's border, so every computed element equals the whole-tile run's.
public struct TensorRegions: Equatable, Sendable {
    /// Per tensor id: the rectangle computed (its own grid); empty for tensors nothing needs.
    public var rects: [GridRect]

    public init(graph g: InferenceGraph, height: Int, width: Int, output: GridRect) {
        var need = [GridRect](repeating: GridRect(y0: 0, y1: 0, x0: 0, x1: 0), count: g.tensors.count)
        need[g.output] = output
        func extent(_ t: Int) -> GridRect {
            let s = g.tensors[t].stride
            return GridRect(y0: 0, y1: height / s, x0: 0, x1: width / s)
        }
        /// Widened to multiples of 32/stride, clipped to the tensor.
        func settle(_ r: GridRect, _ t: Int) -> GridRect {
            guard !r.isEmpty else { return r }
            let a = max(1, InferenceGraph.alignment / g.tensors[t].stride), e = extent(t)
            func down(_ v: Int) -> Int { Int((Double(v) / Double(a)).rounded(.down)) * a }
            func up(_ v: Int) -> Int { Int((Double(v) / Double(a)).rounded(.up)) * a }
            return GridRect(y0: max(e.y0, down(r.y0)), y1: min(e.y1, up(r.y1)), x0: max(e.x0, down(r.x0)), x1: min(e.x1, up(r.x1)))
        }
        need[g.output] = settle(output, g.output)
        for op in g.ops.reversed() {
            switch op {
            case .conv(let c):
                let r = need[c.output]
                guard !r.isEmpty else { continue }
                need[c.input] = need[c.input].union(settle(Self.window(of: r, kernel: c.kernel, stride: c.stride, pad: c.pad), c.input))
                if let res = c.residual { need[res] = need[res].union(r) }
            case .maxPool(let i, let o):
                guard !need[o].isEmpty else { continue }
                need[i] = need[i].union(settle(Self.window(of: need[o], kernel: 3, stride: 2, pad: 1), i))
            case .upsample(let i, let o):
                let r = need[o]
                guard !r.isEmpty else { continue }
                need[i] = need[i].union(settle(GridRect(y0: r.y0 / 2, y1: (r.y1 + 1) / 2, x0: r.x0 / 2, x1: (r.x1 + 1) / 2), i))
            case .concat(let ins, let o):
                guard !need[o].isEmpty else { continue }
                for i in ins { need[i] = need[i].union(need[o]) }
            }
        }
        rects = need
    }

    /// The input window (unclipped; may reach outside the tensor, which is padding) that output
    /// rows/columns `r` of a k×k conv with stride `s` and padding `p` read.
    static func window(of r: GridRect, kernel k: Int, stride s: Int, pad p: Int) -> GridRect {
        GridRect(y0: r.y0 * s - p, y1: (r.y1 - 1) * s - p + k, x0: r.x0 * s - p, x1: (r.x1 - 1) * s - p + k)
    }

    /// Multiply-accumulates of a run over these regions (compare `InferenceGraph.macs`).
    public func macs(_ g: InferenceGraph) -> Int {
        g.convs.reduce(0) { acc, c in acc + rects[c.output].height * rects[c.output].width * c.cout * c.cin * c.kernel * c.kernel }
    }
}
