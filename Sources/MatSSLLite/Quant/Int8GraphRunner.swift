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
    ///   - labels: receives `[height, width]` class ids (argmax of the logits; ties go to the lower id).
    public func run(tile: UnsafeBufferPointer<UInt8>, height: Int, width: Int, labels: UnsafeMutableBufferPointer<UInt8>) throws {
        guard labels.count >= height * width else {
            throw ModelError.badInput("label buffer of \(labels.count) for a \(width)×\(height) tile")
        }
        try execute(tile: tile, height: height, width: width, output: .labels(labels))
    }

    /// Runs a tile and hands over its float logits a band of rows at a time (for test-time
    /// augmentation, which averages logits over several views).
    /// - Parameter logits: called top to bottom with `(firstRow, rows, values)`, values
    ///   `[rows, width, classes]` (channels last); the buffer is reused after the call returns.
    public func run(tile: UnsafeBufferPointer<UInt8>, height: Int, width: Int,
                    logits: (Int, Int, UnsafeBufferPointer<Float>) throws -> Void) throws {
        try withoutActuallyEscaping(logits) { sink in
            try execute(tile: tile, height: height, width: width, output: .logits(sink))
        }
    }

    /// Where the classifier's output goes.
    private enum Output {
        case labels(UnsafeMutableBufferPointer<UInt8>)
        case logits((Int, Int, UnsafeBufferPointer<Float>) throws -> Void)
    }

    private func execute(tile: UnsafeBufferPointer<UInt8>, height: Int, width: Int, output: Output) throws {
        let g = model.info.graph
        let align = InferenceGraph.alignment
        guard height > 0, width > 0, height % align == 0, width % align == 0, tile.count >= height * width else {
            throw ModelError.badInput("int8 tile \(width)×\(height) must be a positive multiple of \(align)")
        }
        var buffers = [[UInt8]?](repeating: nil, count: g.tensors.count)
        buffers[0] = Array(tile.prefix(height * width))
        let acts = model.info.activations
        func dims(_ id: Int) -> (h: Int, w: Int, c: Int) {
            let s = g.tensors[id].stride
            return (height / s, width / s, g.tensors[id].channels)
        }
        let fuse = fuseUpsampleConcat
        let lastUse = fuse ? self.lastUse : lastUseUnfused
        for (index, op) in g.ops.enumerated() {
            switch op {
            case .conv(let spec):
                let conv = model.convByOutput[spec.output]!
                let (ih, iw, _) = dims(spec.input)
                if spec.floatOutput {
                    try classify(conv, input: buffers[spec.input]!, h: ih, w: iw, inParams: acts[spec.input]!, output: output)
                    continue
                }
                let (oh, ow, oc) = dims(spec.output)
                var p = conv.params(h: ih, w: iw, input: acts[spec.input]!, output: acts[spec.output]!,
                                    residual: spec.residual.map { acts[$0]! })
                guard Int(qk_conv_out_h(&p)) == oh, Int(qk_conv_out_w(&p)) == ow else {
                    throw ModelError.badInput("conv \(spec.name): output \(qk_conv_out_w(&p))×\(qk_conv_out_h(&p)), graph expects \(ow)×\(oh)")
                }
                let input = buffers[spec.input]!, residual = spec.residual.map { buffers[$0]! }
                buffers[spec.output] = try Self.filled(oh * ow * oc, what: "conv \(spec.name)") { o in
                    input.withUnsafeBufferPointer { inp in
                        conv.bias.withUnsafeBufferPointer { bias in
                            conv.multipliers.withUnsafeBufferPointer { mult in
                                guard let residual else {
                                    return qk_int8_conv2d(&p, conv.packed, inp.baseAddress, bias.baseAddress, mult.baseAddress, nil, o)
                                }
                                return residual.withUnsafeBufferPointer { res in
                                    qk_int8_conv2d(&p, conv.packed, inp.baseAddress, bias.baseAddress, mult.baseAddress, res.baseAddress, o)
                                }
                            }
                        }
                    }
                }
            case .maxPool(let i, let o):
                let (ih, iw, c) = dims(i), (oh, ow, _) = dims(o)
                let input = buffers[i]!
                buffers[o] = try Self.filled(oh * ow * c, what: "max pool") { out in
                    input.withUnsafeBufferPointer { qk_u8_maxpool2d($0.baseAddress, 1, Int32(ih), Int32(iw), Int32(c), 3, 2, 1, out) }
                }
            case .upsample(let i, let o):
                if fuse && fusedUpsamples[o] != nil { continue } // done by the concat that reads it
                let (ih, iw, c) = dims(i)
                let input = buffers[i]!
                buffers[o] = try Self.filled(4 * ih * iw * c, what: "upsample") { out in
                    input.withUnsafeBufferPointer {
                        qk_u8_upsample2x_nearest($0.baseAddress, 1, Int32(ih), Int32(iw), Int32(c), Int32(c), out, Int32(c))
                    }
                }
            case .concat(let ins, let o):
                let (oh, ow, oc) = dims(o)
                let outP = acts[o]!
                // Every output channel is written by exactly one part, so the buffer needs no zero-fill.
                guard ins.reduce(0, { $0 + g.tensors[$1].channels }) == oc else {
                    throw ModelError.invalidConfig("concat into tensor \(o): parts do not add up to \(oc) channels")
                }
                var out = [UInt8](unsafeUninitializedCapacity: oh * ow * oc) { _, n in n = oh * ow * oc }
                var off = 0
                for i in ins {
                    let c = g.tensors[i].channels, ip = acts[i]!
                    if fuse, let src = fusedUpsamples[i] {
                        // Requantize the half-size input (read with the upsampled tensor's params,
                        // as the unfused path reads the copied bytes), then replicate it 2×2.
                        let (sh, sw, _) = dims(src)
                        let source = buffers[src]!
                        let small = try Self.filled(sh * sw * c, what: "concat") { out in
                            source.withUnsafeBufferPointer {
                                qk_u8_requantize_into($0.baseAddress, sh * sw, Int32(c), Int32(c), Int32(ip.zeroPoint),
                                                      ip.scale / outP.scale, Int32(outP.zeroPoint), out, Int32(c), 0)
                            }
                        }
                        let st = small.withUnsafeBufferPointer { inp in
                            out.withUnsafeMutableBufferPointer {
                                qk_u8_upsample2x_nearest(inp.baseAddress, 1, Int32(sh), Int32(sw), Int32(c), Int32(c),
                                                         $0.baseAddress! + off, Int32(oc))
                            }
                        }
                        guard st == 0 else { throw ModelError.badInput("upsample: kernel status \(st)") }
                        off += c
                        continue
                    }
                    let st = buffers[i]!.withUnsafeBufferPointer { inp in
                        out.withUnsafeMutableBufferPointer {
                            qk_u8_requantize_into(inp.baseAddress, oh * ow, Int32(c), Int32(c), Int32(ip.zeroPoint),
                                                  ip.scale / outP.scale, Int32(outP.zeroPoint), $0.baseAddress, Int32(oc), Int32(off))
                        }
                    }
                    guard st == 0 else { throw ModelError.badInput("concat: kernel status \(st)") }
                    off += c
                }
                buffers[o] = out
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
    private func classify(_ conv: QuantizedConv, input: [UInt8], h: Int, w: Int, inParams: QuantParams,
                          output: Output) throws {
        let k = conv.spec.cout, cin = conv.spec.cin
        guard conv.spec.kernel == 1, conv.spec.stride == 1 else {
            throw ModelError.invalidConfig("classifier \(conv.spec.name) must be a 1×1 conv")
        }
        let rows = max(1, classifierChunkRows)
        var logits = [Float](repeating: 0, count: rows * w * k)
        var y0 = 0
        while y0 < h {
            let n = min(rows, h - y0)
            var p = conv.params(h: n, w: w, input: inParams, output: nil, residual: nil)
            let st = input.withUnsafeBufferPointer { inp in
                conv.multipliers.withUnsafeBufferPointer { sc in
                    conv.floatBias.withUnsafeBufferPointer { fb in
                        logits.withUnsafeMutableBufferPointer {
                            qk_int8_conv2d_f32out(&p, conv.packed, inp.baseAddress! + y0 * w * cin, sc.baseAddress, fb.baseAddress, $0.baseAddress)
                        }
                    }
                }
            }
            guard st == 0 else { throw ModelError.badInput("classifier: kernel status \(st)") }
            guard case .labels(let labels) = output else {
                if case .logits(let sink) = output {
                    try logits.withUnsafeBufferPointer { try sink(y0, n, UnsafeBufferPointer(rebasing: $0[0..<(n * w * k)])) }
                }
                y0 += n
                continue
            }
            logits.withUnsafeBufferPointer { ClassArgmax.fill($0, pixels: n * w, classes: k, into: labels, offset: y0 * w) }
            y0 += n
        }
    }
}
