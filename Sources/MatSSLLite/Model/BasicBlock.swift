import QuantKernels

/// ResNet BasicBlock: conv3×3(stride)-BN-ReLU-conv3×3-BN, plus identity or 1×1/stride conv+BN
/// shortcut, then ReLU. x [n, cin, h, w] → [n, cout, h/stride, w/stride].
public final class BasicBlock {
    public let conv1: Conv2D, bn1: BatchNorm, conv2: Conv2D, bn2: BatchNorm
    public let downsample: (conv: Conv2D, bn: BatchNorm)?
    let relu1 = ReLU(), relu2 = ReLU()
    private var inShape: [Int] = []

    init(_ name: String, _ store: ParameterStore, _ ws: Workspace, cin: Int, cout: Int, stride: Int) {
        conv1 = Conv2D("\(name).conv1", store, ws, cin: cin, cout: cout, kernel: 3, stride: stride)
        bn1 = BatchNorm("\(name).bn1", store, channels: cout)
        conv2 = Conv2D("\(name).conv2", store, ws, cin: cout, cout: cout, kernel: 3)
        bn2 = BatchNorm("\(name).bn2", store, channels: cout)
        if stride != 1 || cin != cout {
            downsample = (Conv2D("\(name).downsample.0", store, ws, cin: cin, cout: cout, kernel: 1, stride: stride, pad: 0),
                          BatchNorm("\(name).downsample.1", store, channels: cout))
        } else { downsample = nil }
    }

    var batchNorms: [BatchNorm] { [bn1, bn2] + (downsample.map { [$0.bn] } ?? []) }

    func forward(_ x: Tensor, keep: Bool) -> Tensor {
        inShape = x.shape
        let a = relu1.forward(bn1.forward(conv1.forward(x, keep: keep), keep: keep), keep: keep)
        let b = bn2.forward(conv2.forward(a, keep: keep), keep: keep)
        let s = downsample.map { $0.bn.forward($0.conv.forward(x, keep: keep), keep: keep) } ?? x
        let sum = Tensor(uninitialized: b.shape)
        qk_f32_add(b.data, s.data, sum.data, sum.count)
        return relu2.forward(sum, keep: keep)
    }

    /// dy [n, cout, ho, wo] → dx [n, cin, h, w] (new tensor).
    func backward(_ dy: Tensor) -> Tensor {
        let dsum = dy.zerosLike()
        relu2.backward(dy, into: dsum)
        let dx = Tensor(inShape)
        let db = dsum.zerosLike()
        bn2.backward(dsum, into: db)
        let da = db.zerosLike()
        conv2.backward(db, into: da)
        let dbn1 = da.zerosLike()
        relu1.backward(da, into: dbn1)
        let dc1 = dbn1.zerosLike()
        bn1.backward(dbn1, into: dc1)
        conv1.backward(dc1, into: dx)
        if let ds = downsample {
            let dd = dsum.zerosLike()
            ds.bn.backward(dsum, into: dd)
            ds.conv.backward(dd, into: dx)
        } else {
            qk_f32_accumulate(dx.data, dsum.data, dx.count)
        }
        return dx
    }
}
