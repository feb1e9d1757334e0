import QuantKernels

/// Runs an `InferenceGraph` in fp32 (NCHW, OpenBLAS convolutions) — the reference for int8 and the
/// pass that calibration observes. Tensors are freed as soon as no later op reads them.
public final class FloatGraphRunner {
    public let graph: InferenceGraph
    private let workspace = Workspace()
    /// For each tensor, the index of the last op that reads it (−1: never read).
    private let lastUse: [Int]

    public init(graph: InferenceGraph) {
        self.graph = graph
        var last = [Int](repeating: -1, count: graph.tensors.count)
        for (i, op) in graph.ops.enumerated() {
            for t in Self.inputs(of: op) { last[t] = i }
        }
        last[graph.output] = graph.ops.count
        lastUse = last
    }

    static func inputs(of op: InferenceGraph.Op) -> [Int] {
        switch op {
        case .conv(let c): return [c.input] + (c.residual.map { [$0] } ?? [])
        case .maxPool(let i, _), .upsample(let i, _): return [i]
        case .concat(let ins, _): return ins
        }
    }

    /// Runs the graph on `image` [n, 1, h, w] (raw intensities in [0, 1], h and w multiples of 32).
    /// - Parameter observe: called once per computed tensor with its id and values (NCHW).
    /// - Returns: the logits [n, classes, h, w].
    public func run(_ image: Tensor, observe: ((Int, UnsafeBufferPointer<Float>) -> Void)? = nil) throws -> Tensor {
        let align = InferenceGraph.alignment
        guard image.shape.count == 4, image.c == 1, image.h % align == 0, image.w % align == 0, image.h > 0, image.w > 0 else {
            throw ModelError.badInput("expected [n, 1, h, w] with h, w multiples of \(align), got \(image.shape)")
        }
        var values = [Tensor?](repeating: nil, count: graph.tensors.count)
        let centred = image.zerosLike()
        for i in 0..<image.count { centred[i] = image[i] - graph.inputMean }
        values[0] = centred
        observe?(0, UnsafeBufferPointer(start: image.data, count: image.count))
        for (index, op) in graph.ops.enumerated() {
            let (out, y) = try execute(op, values)
            values[out] = y
            observe?(out, UnsafeBufferPointer(start: y.data, count: y.count))
            for t in Self.inputs(of: op) where lastUse[t] == index { values[t] = nil }
        }
        return values[graph.output]!
    }

    private func execute(_ op: InferenceGraph.Op, _ values: [Tensor?]) throws -> (Int, Tensor) {
        switch op {
        case .conv(let c):
            let x = values[c.input]!
            var g = qk_conv_geom(n: Int32(x.n), cin: Int32(c.cin), h: Int32(x.h), w: Int32(x.w), cout: Int32(c.cout),
                                 kh: Int32(c.kernel), kw: Int32(c.kernel), stride: Int32(c.stride), pad: Int32(c.pad), ho: 0, wo: 0, threads: 0, col_budget: 0)
            qk_conv_geom_finish(&g)
            let y = Tensor([x.n, c.cout, Int(g.ho), Int(g.wo)])
            let ws = workspace.buffer(qk_conv_workspace_floats(&g))
            let w = graph.weights[c.name]!, b = graph.biases[c.name]!
            w.withUnsafeBufferPointer { wp in
                b.withUnsafeBufferPointer { bp in
                    qk_f32_conv2d_forward(&g, x.data, wp.baseAddress!, bp.baseAddress!, y.data, ws)
                }
            }
            if let r = c.residual { qk_f32_add(y.data, values[r]!.data, y.data, y.count) }
            if c.relu { qk_f32_relu_forward(y.data, y.data, y.count) }
            return (c.output, y)
        case .maxPool(let i, let o):
            let x = values[i]!
            let ho = (x.h - 1) / 2 + 1, wo = (x.w - 1) / 2 + 1
            let y = Tensor([x.n, x.c, ho, wo])
            var argmax = [Int32](repeating: 0, count: y.count)
            qk_f32_maxpool3s2_forward(x.data, Int32(x.n * x.c), Int32(x.h), Int32(x.w), Int32(ho), Int32(wo), y.data, &argmax)
            return (o, y)
        case .upsample(let i, let o):
            return (o, Upsample2x.forward(values[i]!))
        case .concat(let ins, let o):
            let parts = ins.map { values[$0]! }
            let n = parts[0].n, h = parts[0].h, w = parts[0].w
            let y = Tensor([n, parts.reduce(0) { $0 + $1.c }, h, w])
            let plane = h * w, total = y.c
            var off = 0
            for p in parts {
                for b in 0..<n {
                    (y.data + (b * total + off) * plane).update(from: p.data + b * p.c * plane, count: p.c * plane)
                }
                off += p.c
            }
            return (o, y)
        }
    }
}
