import QuantKernels

/// Runs a `QuantizedModel` on one u8 tile with the int8 kernels (NHWC, channels last) and returns
/// class ids. Every intermediate tensor is freed after its last reader, and the float classifier
/// runs in row chunks, so memory is a few u8 copies of the tile's widest feature maps.
public final class Int8GraphRunner {
    public let model: QuantizedModel
    /// Index of the last op reading each tensor, per fusion setting.
    private let lastUse: [Int], lastUseUnfused: [Int]
    /// Upsample outputs read only by one concat: tensor id → the upsample's input.
    let fusedUpsamples: [Int: Int]
    /// Rows of float logits computed at a time by the classifier.
    public var classifierChunkRows = 32
    /// Upsample straight into the concat buffer (requantize the small input first, then replicate
    /// it into its channel slice) instead of materialising the full-size upsampled tensor. Same
    /// bits (nearest upsampling commutes with the elementwise requantization); saves the largest
    /// intermediate of the decoder. Off only to test that claim.
    public var fuseUpsampleConcat = true

    public init(model: QuantizedModel) {
        self.model = model
        let g = model.info.graph
        var readers = [Int](repeating: 0, count: g.tensors.count)
        for op in g.ops { for t in FloatGraphRunner.inputs(of: op) { readers[t] += 1 } }
        var fused: [Int: Int] = [:]
        for op in g.ops {
            guard case .upsample(let i, let o) = op, readers[o] == 1 else { continue }
            if g.ops.contains(where: { if case .concat(let ins, _) = $0 { return ins.contains(o) } else { return false } }) {
                fused[o] = i
            }
        }
        fusedUpsamples = fused
        var last = [Int](repeating: -1, count: g.tensors.count), lastFused = last
        for (i, op) in g.ops.enumerated() {
            for t in FloatGraphRunner.inputs(of: op) {
                last[t] = i
                lastFused[t] = i
                if let src = fused[t] { lastFused[src] = i } // the concat reads the upsample's input
            }
        }
        lastUseUnfused = last
        lastUse = lastFused
    }

    /// Segments a tile.
    /// - Parameters:
    ///   - tile: u8 intensities `[height, width]` (q = round(255·x)); height and width multiples of 32.
    ///   - region: the part of the tile whose labels are wanted (default: all of it); its sides
    ///     must be multiples of 32 (or end at the tile's edge). Only what those labels depend on is
    ///     computed (`TensorRegions`); the labels equal the whole-tile run's there.
    ///   - labels: receives `[region.height, region.width]` class ids (argmax of the logits; ties go
    ///     to the lower id).
    public func run(tile: UnsafeBufferPointer<UInt8>, height: Int, width: Int, region: GridRect? = nil,
                    labels: UnsafeMutableBufferPointer<UInt8>) throws {
        let r = region ?? GridRect(y0: 0, y1: height, x0: 0, x1: width)
        guard labels.count >= r.height * r.width else {
            throw ModelError.badInput("label buffer of \(labels.count) for a \(r.width)×\(r.height) region")
        }
        try execute(tile: tile, height: height, width: width, region: r, output: .labels(labels))
    }

    /// Runs a tile and hands over its float logits a band of rows at a time (for test-time
    /// augmentation, which averages logits over several views).
    /// - Parameter region: as in `run(tile:height:width:region:labels:)`.
    /// - Parameter logits: called top to bottom with `(firstRow, rows, values)`: tile rows
    ///   `firstRow..<firstRow + rows`, values `[rows, region.width, classes]` (channels last) for
    ///   the region's columns; the buffer is reused after the call returns.
    public func run(tile: UnsafeBufferPointer<UInt8>, height: Int, width: Int, region: GridRect? = nil,
                    logits: (Int, Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        let r = region ?? GridRect(y0: 0, y1: height, x0: 0, x1: width)
        try withoutActuallyEscaping(logits) { sink in
            try execute(tile: tile, height: height, width: width, region: r, output: .logits(sink))
        }
    }

    /// Where the classifier's output goes.
    private enum Output {
        case labels(UnsafeMutableBufferPointer<UInt8>)
        case logits((Int, Int, UnsafeBufferPointer<Float>) throws -> Void)
    }

    /// The rows and columns `want` of a tensor held over `have` (`c` bytes per pixel), read in
    /// place: `body` gets the address of the window's first pixel and the tensor's row stride in
    /// bytes (the kernels take row strides, so no window is ever copied).
    private static func withView<R>(_ buffer: [UInt8], have: GridRect, want: GridRect, channels c: Int,
                                    _ body: (UnsafePointer<UInt8>, Int) throws -> R) rethrows -> R {
        precondition(have.contains(want) && !want.isEmpty, "window \(want) outside \(have)")
        return try buffer.withUnsafeBufferPointer {
            try body($0.baseAddress! + ((want.y0 - have.y0) * have.width + want.x0 - have.x0) * c, have.width * c)
        }
    }

    /// Runs `kernel(firstRow, rows)` once over all `rows` when a view's rows are contiguous
    /// (`rowStride == rowBytes`; the kernel then splits the work over threads itself), else once
    /// per row: for the element-wise kernels that take no row stride.
    private static func byRows(_ rows: Int, rowStride: Int, rowBytes: Int, _ kernel: (Int, Int) -> Int32) -> Int32 {
        if rowStride == rowBytes { return kernel(0, rows) }
        for y in 0..<rows {
            let st = kernel(y, 1)
            if st != 0 { return st }
        }
        return 0
    }

    private func execute(tile: UnsafeBufferPointer<UInt8>, height: Int, width: Int, region: GridRect, output: Output) throws {
        let g = model.info.graph
        let align = InferenceGraph.alignment
        guard height > 0, width > 0, height % align == 0, width % align == 0, tile.count >= height * width else {
            throw ModelError.badInput("int8 tile \(width)×\(height) must be a positive multiple of \(align)")
        }
        let full = GridRect(y0: 0, y1: height, x0: 0, x1: width)
        func aligned(_ v: Int, _ end: Int) -> Bool { v % align == 0 || v == end }
        guard full.contains(region), !region.isEmpty, aligned(region.y0, height), aligned(region.y1, height),
              aligned(region.x0, width), aligned(region.x1, width) else {
            throw ModelError.badInput("region \(region) of a \(width)×\(height) tile must lie inside it on multiples of \(align)")
        }
        let rects = TensorRegions(graph: g, height: height, width: width, output: region).rects
        var buffers = [[UInt8]?](repeating: nil, count: g.tensors.count)
        // The input's needed window, row by row straight from the tile.
        let r0 = rects[0]
        var input = [UInt8]()
        input.reserveCapacity(r0.height * r0.width)
        for y in r0.y0..<r0.y1 { input.append(contentsOf: tile[(y * width + r0.x0)..<(y * width + r0.x1)]) }
        buffers[0] = input
        let acts = model.info.activations
        func extent(_ id: Int) -> GridRect {
            let s = g.tensors[id].stride
            return GridRect(y0: 0, y1: height / s, x0: 0, x1: width / s)
        }
        let fuse = fuseUpsampleConcat
        let lastUse = fuse ? self.lastUse : lastUseUnfused
        for (index, op) in g.ops.enumerated() {
            switch op {
            case .conv(let spec):
                let conv = model.convByOutput[spec.output]!
                let out = rects[spec.output]
                // The input window this output reads; outside the tensor it is padding.
                let w = TensorRegions.window(of: out, kernel: spec.kernel, stride: spec.stride, pad: spec.pad)
                let e = extent(spec.input)
                let clipped = GridRect(y0: max(w.y0, e.y0), y1: min(w.y1, e.y1), x0: max(w.x0, e.x0), x1: min(w.x1, e.x1))
                let cin = g.tensors[spec.input].channels
                var p = conv.params(h: clipped.height, w: clipped.width, input: acts[spec.input]!,
                                    output: spec.floatOutput ? nil : acts[spec.output]!, residual: spec.residual.map { acts[$0]! })
                p.pad_top = Int32(clipped.y0 - w.y0); p.pad_bottom = Int32(w.y1 - clipped.y1)
                p.pad_left = Int32(clipped.x0 - w.x0); p.pad_right = Int32(w.x1 - clipped.x1)
                guard Int(qk_conv_out_h(&p)) == out.height, Int(qk_conv_out_w(&p)) == out.width else {
                    throw ModelError.badInput("conv \(spec.name): output \(qk_conv_out_w(&p))×\(qk_conv_out_h(&p)), region \(out)")
                }
                let input = buffers[spec.input]!
                if spec.floatOutput {
                    precondition(spec.kernel == 1 && spec.pad == 0, "the classifier is a 1×1 conv")
                    try Self.withView(input, have: rects[spec.input], want: clipped, channels: cin) { inp, rowStride in
                        try classify(conv, input: inp, rowStride: rowStride, h: out.height, w: out.width, firstRow: out.y0,
                                     inParams: acts[spec.input]!, output: output)
                    }
                    continue
                }
                let oc = g.tensors[spec.output].channels
                buffers[spec.output] = try Self.withView(input, have: rects[spec.input], want: clipped, channels: cin) { inp, rowStride in
                    p.in_row_stride = rowStride
                    return try Self.filled(out.height * out.width * oc, what: "conv \(spec.name)") { o in
                        conv.bias.withUnsafeBufferPointer { bias in
                            conv.multipliers.withUnsafeBufferPointer { mult in
                                guard let res = spec.residual else {
                                    return qk_int8_conv2d(&p, conv.packed, inp, bias.baseAddress, mult.baseAddress, nil, o)
                                }
                                return Self.withView(buffers[res]!, have: rects[res], want: out, channels: oc) { r, resRowStride in
                                    p.res_row_stride = resRowStride
                                    return qk_int8_conv2d(&p, conv.packed, inp, bias.baseAddress, mult.baseAddress, r, o)
                                }
                            }
                        }
                    }
                }
            case .maxPool(let i, let o):
                // Taps outside the tensor are ignored by the kernel (the pool's padding); inside it
                // the window is read in place.
                let out = rects[o], c = g.tensors[i].channels
                let w = TensorRegions.window(of: out, kernel: 3, stride: 2, pad: 1), e = extent(i)
                let clipped = GridRect(y0: max(w.y0, e.y0), y1: min(w.y1, e.y1), x0: max(w.x0, e.x0), x1: min(w.x1, e.x1))
                buffers[o] = try Self.withView(buffers[i]!, have: rects[i], want: clipped, channels: c) { inp, rowStride in
                    try Self.filled(out.height * out.width * c, what: "max pool") {
                        qk_u8_maxpool2d_window(inp, rowStride, Int32(clipped.height), Int32(clipped.width), Int32(c), 3, 2,
                                               Int32(clipped.y0 - w.y0), Int32(clipped.x0 - w.x0), Int32(out.height), Int32(out.width), $0)
                    }
                }
            case .upsample(let i, let o):
                if fuse && fusedUpsamples[o] != nil { continue } // done by the concat that reads it
                let out = rects[o], c = g.tensors[i].channels
                let src = GridRect(y0: out.y0 / 2, y1: out.y1 / 2, x0: out.x0 / 2, x1: out.x1 / 2)
                buffers[o] = try Self.withView(buffers[i]!, have: rects[i], want: src, channels: c) { inp, rowStride in
                    try Self.filled(out.height * out.width * c, what: "upsample") { o in
                        Self.byRows(src.height, rowStride: rowStride, rowBytes: src.width * c) { y, n in
                            qk_u8_upsample2x_nearest(inp + y * rowStride, 1, Int32(n), Int32(src.width), Int32(c), Int32(c),
                                                     o + 2 * y * out.width * c, Int32(c))
                        }
                    }
                }
            case .concat(let ins, let o):
                let out = rects[o], oc = g.tensors[o].channels
                let outP = acts[o]!
                // Every output channel is written by exactly one part, so the buffer needs no zero-fill.
                guard ins.reduce(0, { $0 + g.tensors[$1].channels }) == oc else {
                    throw ModelError.invalidConfig("concat into tensor \(o): parts do not add up to \(oc) channels")
                }
                var buf = [UInt8](unsafeUninitializedCapacity: out.height * out.width * oc) { _, n in n = out.height * out.width * oc }
                var off = 0
                for i in ins {
                    let c = g.tensors[i].channels, ip = acts[i]!
                    if fuse, let srcID = fusedUpsamples[i] {
                        // Requantize the half-size input (read with the upsampled tensor's params,
                        // as the unfused path reads the copied bytes), then replicate it 2×2.
                        let src = GridRect(y0: out.y0 / 2, y1: out.y1 / 2, x0: out.x0 / 2, x1: out.x1 / 2)
                        let small = try Self.withView(buffers[srcID]!, have: rects[srcID], want: src, channels: c) { inp, rowStride in
                            try Self.filled(src.height * src.width * c, what: "concat") { s in
                                Self.byRows(src.height, rowStride: rowStride, rowBytes: src.width * c) { y, n in
                                    qk_u8_requantize_into(inp + y * rowStride, n * src.width, Int32(c), Int32(c), Int32(ip.zeroPoint),
                                                          ip.scale / outP.scale, Int32(outP.zeroPoint), s + y * src.width * c, Int32(c), 0)
                                }
                            }
                        }
                        let st = small.withUnsafeBufferPointer { inp in
                            buf.withUnsafeMutableBufferPointer {
                                qk_u8_upsample2x_nearest(inp.baseAddress, 1, Int32(src.height), Int32(src.width), Int32(c), Int32(c),
                                                         $0.baseAddress! + off, Int32(oc))
                            }
                        }
                        guard st == 0 else { throw ModelError.badInput("upsample: kernel status \(st)") }
                        off += c
                        continue
                    }
                    let st = Self.withView(buffers[i]!, have: rects[i], want: out, channels: c) { inp, rowStride in
                        buf.withUnsafeMutableBufferPointer { dst in
                            Self.byRows(out.height, rowStride: rowStride, rowBytes: out.width * c) { y, n in
                                qk_u8_requantize_into(inp + y * rowStride, n * out.width, Int32(c), Int32(c), Int32(ip.zeroPoint),
                                                      ip.scale / outP.scale, Int32(outP.zeroPoint), dst.baseAddress! + y * out.width * oc,
                                                      Int32(oc), Int32(off))
                            }
                        }
                    }
                    guard st == 0 else { throw ModelError.badInput("concat: kernel status \(st)") }
                    off += c
                }
                buffers[o] = buf
            }
            for t in FloatGraphRunner.inputs(of: op) {
                if lastUse[t] == index { buffers[t] = nil }
                if fuse, let src = fusedUpsamples[t], lastUse[src] == index { buffers[src] = nil }
            }
        }
    }

    /// A new buffer of `count` bytes written entirely by `kernel` (no zero-fill first).
    /// - Throws: `ModelError.badInput` naming `what` when the kernel returns a non-zero status.
    private static func filled(_ count: Int, what: String,
                               _ kernel: (UnsafeMutablePointer<UInt8>) -> Int32) throws -> [UInt8] {
        guard count > 0 else { throw ModelError.badInput("\(what): empty output") }
        var status: Int32 = 0
        let out = [UInt8](unsafeUninitializedCapacity: count) { buf, n in
            status = kernel(buf.baseAddress!)
            n = count
        }
        guard status == 0 else { throw ModelError.badInput("\(what): int8 kernel status \(status)") }
        return out
    }

    /// The 1×1 float-output classifier in row chunks, fused with the argmax (or handing the logits on).
    /// `input`: `[h, w, cin]` u8 (the region's pixels), rows `rowStride` bytes apart; logits rows
    /// are reported from tile row `firstRow`.
    private func classify(_ conv: QuantizedConv, input: UnsafePointer<UInt8>, rowStride: Int, h: Int, w: Int, firstRow: Int,
                          inParams: QuantParams, output: Output) throws {
        let k = conv.spec.cout
        guard conv.spec.kernel == 1, conv.spec.stride == 1 else {
            throw ModelError.invalidConfig("classifier \(conv.spec.name) must be a 1×1 conv")
        }
        let rows = max(1, classifierChunkRows)
        var logits = [Float](repeating: 0, count: rows * w * k)
        var y0 = 0
        while y0 < h {
            let n = min(rows, h - y0)
            var p = conv.params(h: n, w: w, input: inParams, output: nil, residual: nil)
            p.in_row_stride = rowStride
            let st = conv.multipliers.withUnsafeBufferPointer { sc in
                conv.floatBias.withUnsafeBufferPointer { fb in
                    logits.withUnsafeMutableBufferPointer {
                        qk_int8_conv2d_f32out(&p, conv.packed, input + y0 * rowStride, sc.baseAddress, fb.baseAddress, $0.baseAddress)
                    }
                }
            }
            guard st == 0 else { throw ModelError.badInput("classifier: kernel status \(st)") }
            guard case .labels(let labels) = output else {
                if case .logits(let sink) = output {
                    try logits.withUnsafeBufferPointer { try sink(firstRow + y0, n, UnsafeBufferPointer(rebasing: $0[0..<(n * w * k)])) }
                }
                y0 += n
                continue
            }
            logits.withUnsafeBufferPointer { ClassArgmax.fill($0, pixels: n * w, classes: k, into: labels, offset: y0 * w) }
            y0 += n
        }
    }
}
