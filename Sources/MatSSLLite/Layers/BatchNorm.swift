import QuantKernels

/// Batch normalisation over channels: x [n, c, h, w] (BatchNorm2D) or [n, c] (BatchNorm1D).
/// Parameters `weight`, `bias`; buffers `running_mean`, `running_var` (torchvision names).
/// Train mode uses batch statistics and updates the running ones (momentum 0.1).
public final class BatchNorm {
    public let name: String
    public let channels: Int
    public let weight: Slot, bias: Slot, runningMean: Slot, runningVar: Slot
    public var eps: Float = 1e-5
    public var momentum: Float = 0.1
    public var training = true
    unowned let store: ParameterStore
    private var input: Tensor?
    private var mean: [Float] = [], invstd: [Float] = []

    public init(_ name: String, _ store: ParameterStore, channels: Int) {
        self.name = name; self.channels = channels; self.store = store
        weight = store.declare("\(name).weight", [channels], init: .ones)
        bias = store.declare("\(name).bias", [channels], init: .zeros)
        runningMean = store.declare("\(name).running_mean", [channels], trainable: false, init: .zeros)
        runningVar = store.declare("\(name).running_var", [channels], trainable: false, init: .ones)
    }

    public func forward(_ x: Tensor, keep: Bool = true) -> Tensor {
        precondition(x.c == channels, "\(name): input has \(x.c) channels, expected \(channels)")
        let y = Tensor(uninitialized: x.shape)
        if training {
            mean = [Float](repeating: 0, count: channels); invstd = mean
            qk_f32_bn_forward_train(x.data, Int32(x.n), Int32(channels), Int32(x.plane), store.value(weight),
                                    store.value(bias), eps, momentum, y.data, &mean, &invstd,
                                    store.value(runningMean), store.value(runningVar))
            input = keep ? x : nil
        } else {
            qk_f32_bn_forward_eval(x.data, Int32(x.n), Int32(channels), Int32(x.plane), store.value(weight),
                                   store.value(bias), eps, store.value(runningMean), store.value(runningVar), y.data)
        }
        return y
    }

    /// Train-mode backward; dx receives dL/dx added.
    public func backward(_ dy: Tensor, into dx: Tensor?) {
        guard let x = input else { preconditionFailure("\(name): backward without train-mode forward") }
        qk_f32_bn_backward(x.data, dy.data, Int32(x.n), Int32(channels), Int32(x.plane), store.value(weight),
                           mean, invstd, dx?.data, store.grad(weight), store.grad(bias))
        input = nil
    }

    /// Per-channel (scale, shift) of the eval-mode affine map y = scale·x + shift (for BN folding).
    public func foldedAffine() -> (scale: [Float], shift: [Float]) {
        let g = store.value(weight), b = store.value(bias), m = store.value(runningMean), v = store.value(runningVar)
        var scale = [Float](repeating: 0, count: channels), shift = scale
        for c in 0..<channels {
            scale[c] = g[c] / (v[c] + eps).squareRoot()
            shift[c] = b[c] - m[c] * scale[c]
        }
        return (scale, shift)
    }
}
