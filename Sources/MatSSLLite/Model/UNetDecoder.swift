import QuantKernels

/// One decoder stage: nearest 2× upsample of x, concat with the (optionally gated) skip,
/// then conv3×3-BN-ReLU ×2. x [n, cin, h, w], skip [n, cskip, 2h, 2w] → [n, cout, 2h, 2w].
public final class DecoderBlock {
    public let conv1: Conv2D, bn1: BatchNorm, conv2: Conv2D, bn2: BatchNorm
    let relu1 = ReLU(), relu2 = ReLU()
    public let cin: Int, cskip: Int, cout: Int
    private var upShape: [Int] = [], inShape: [Int] = []
    private var skip: Tensor?, skipScale: [Float]?

    init(_ name: String, _ store: ParameterStore, _ ws: Workspace, cin: Int, cskip: Int, cout: Int) {
        self.cin = cin; self.cskip = cskip; self.cout = cout
        conv1 = Conv2D("\(name).conv1", store, ws, cin: cin + cskip, cout: cout, kernel: 3)
        bn1 = BatchNorm("\(name).bn1", store, channels: cout)
        conv2 = Conv2D("\(name).conv2", store, ws, cin: cout, cout: cout, kernel: 3)
        bn2 = BatchNorm("\(name).bn2", store, channels: cout)
    }

    var batchNorms: [BatchNorm] { [bn1, bn2] }

    func forward(_ x: Tensor, skip: Tensor?, skipScale: [Float]?, keep: Bool) -> Tensor {
        inShape = x.shape
        let u = Upsample2x.forward(x)
        var cat = u
        if let s = skip {
            precondition(s.h == u.h && s.w == u.w && s.c == cskip, "decoder skip \(s.shape) vs upsampled \(u.shape)")
            cat = Tensor(uninitialized: [u.n, cin + cskip, u.h, u.w])
            qk_f32_concat_channels(u.data, Int32(cin), s.data, Int32(cskip), skipScale, Int32(u.n), Int32(u.plane), cat.data)
        }
        self.skip = keep ? skip : nil
        self.skipScale = skipScale
        upShape = u.shape
        let a = relu1.forward(bn1.forward(conv1.forward(cat, keep: keep), keep: keep), keep: keep)
        return relu2.forward(bn2.forward(conv2.forward(a, keep: keep), keep: keep), keep: keep)
    }

    /// dy → (dx [n, cin, h, w], dskip [n, cskip, 2h, 2w] or nil, dL/d(skipScale) or nil).
    func backward(_ dy: Tensor) -> (dx: Tensor, dSkip: Tensor?, dScale: [Float]?) {
        let d2 = dy.zerosLike(); relu2.backward(dy, into: d2)
        let d2c = d2.zerosLike(); bn2.backward(d2, into: d2c)
        let da = Tensor(d2c.shape.enumerated().map { $0.offset == 1 ? cout : $0.element })
        conv2.backward(d2c, into: da)
        let d1 = da.zerosLike(); relu1.backward(da, into: d1)
        let d1c = d1.zerosLike(); bn1.backward(d1, into: d1c)
        let n = upShape[0], h2 = upShape[2], w2 = upShape[3]
        let dcat = Tensor([n, cin + cskip, h2, w2])
        conv1.backward(d1c, into: dcat)
        let dx = Tensor(inShape)
        var dSkip: Tensor? = nil, dScale: [Float]? = nil
        if let s = skip {
            let du = Tensor(upShape)
            let ds = s.zerosLike()
            var dsc = [Float](repeating: 0, count: cskip)
            dsc.withUnsafeMutableBufferPointer { dp in
                qk_f32_split_channels_add(dcat.data, Int32(cin), Int32(cskip), Int32(n), Int32(h2 * w2), du.data,
                                          s.data, skipScale, ds.data, skipScale != nil ? dp.baseAddress : nil)
            }
            Upsample2x.backward(du, into: dx)
            dSkip = ds
            if skipScale != nil { dScale = dsc }
        } else {
            Upsample2x.backward(dcat, into: dx)
        }
        skip = nil
        return (dx, dSkip, dScale)
    }
}
