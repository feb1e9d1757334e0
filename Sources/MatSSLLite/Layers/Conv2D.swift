import QuantKernels

/// 2-D convolution, weight [cout, cin, k, k] (torchvision layout), optional bias [cout].
/// forward: x [n, cin, h, w] → y [n, cout, ho, wo]. backward ADDS into dx and the gradient arena.
public final class Conv2D {
    public let name: String
    public let cin: Int, cout: Int, kernel: Int, stride: Int, pad: Int
    public let weight: Slot
    public let bias: Slot?
    unowned let store: ParameterStore
    let workspace: Workspace
    private var input: Tensor?

    public init(_ name: String, _ store: ParameterStore, _ workspace: Workspace, cin: Int, cout: Int,
                kernel: Int, stride: Int = 1, pad: Int? = nil, bias: Bool = false) {
        self.name = name; self.cin = cin; self.cout = cout; self.kernel = kernel; self.stride = stride
        self.pad = pad ?? kernel / 2
        self.store = store; self.workspace = workspace
        weight = store.declare("\(name).weight", [cout, cin, kernel, kernel], decays: true,
                               init: .kaimingNormal(fanIn: cin * kernel * kernel))
        self.bias = bias ? store.declare("\(name).bias", [cout], init: .zeros) : nil
    }

    func geometry(_ x: Tensor) -> qk_conv_geom {
        var g = qk_conv_geom(n: Int32(x.n), cin: Int32(cin), h: Int32(x.h), w: Int32(x.w), cout: Int32(cout),
                             kh: Int32(kernel), kw: Int32(kernel), stride: Int32(stride), pad: Int32(pad), ho: 0, wo: 0, threads: 0, col_budget: 0)
        qk_conv_geom_finish(&g)
        return g
    }

    /// Multiply-accumulates of one forward pass on x.
    public func macs(_ x: Tensor) -> Int {
        let g = geometry(x)
        return Int(g.n) * cout * Int(g.ho * g.wo) * cin * kernel * kernel
    }

    public func forward(_ x: Tensor, keep: Bool = true) -> Tensor {
        precondition(x.c == cin, "\(name): input has \(x.c) channels, expected \(cin)")
        var g = geometry(x)
        let y = Tensor(uninitialized: [x.n, cout, Int(g.ho), Int(g.wo)])
        let ws = workspace.buffer(qk_conv_workspace_floats(&g))
        qk_f32_conv2d_forward(&g, x.data, store.value(weight), bias.map { UnsafePointer(store.value($0)) }, y.data, ws)
        input = keep ? x : nil
        return y
    }

    /// dy [n, cout, ho, wo]; dx (if non-nil) receives dL/dx added.
    public func backward(_ dy: Tensor, into dx: Tensor?) {
        guard let x = input else { preconditionFailure("\(name): backward without forward") }
        var g = geometry(x)
        let ws = workspace.buffer(qk_conv_workspace_floats(&g))
        qk_f32_conv2d_backward(&g, x.data, store.value(weight), dy.data, dx?.data, store.grad(weight),
                               bias.map { store.grad($0) }, ws)
        input = nil
    }
}
