import QuantKernels

/// Fully connected layer: x [n, in] → y [n, out]; weight [out, in], bias [out] (torchvision names).
public final class Linear {
    public let name: String
    public let inFeatures: Int, outFeatures: Int
    public let weight: Slot, bias: Slot
    unowned let store: ParameterStore
    private var input: Tensor?

    public init(_ name: String, _ store: ParameterStore, in inFeatures: Int, out outFeatures: Int) {
        self.name = name; self.inFeatures = inFeatures; self.outFeatures = outFeatures; self.store = store
        let bound = 1 / Float(inFeatures).squareRoot()
        weight = store.declare("\(name).weight", [outFeatures, inFeatures], decays: true, init: .uniform(bound: bound))
        bias = store.declare("\(name).bias", [outFeatures], init: .uniform(bound: bound))
    }

    public func forward(_ x: Tensor, keep: Bool = true) -> Tensor {
        precondition(x.count == x.n * inFeatures, "\(name): input \(x.shape), expected [n, \(inFeatures)]")
        let y = Tensor(uninitialized: [x.n, outFeatures])
        qk_f32_linear_forward(x.data, store.value(weight), store.value(bias), Int32(x.n), Int32(inFeatures), Int32(outFeatures), y.data)
        input = keep ? x : nil
        return y
    }

    public func backward(_ dy: Tensor, into dx: Tensor?) {
        guard let x = input else { preconditionFailure("\(name): backward without forward") }
        qk_f32_linear_backward(x.data, store.value(weight), dy.data, Int32(x.n), Int32(inFeatures), Int32(outFeatures),
                               dx?.data, store.grad(weight), store.grad(bias))
        input = nil
    }
}
