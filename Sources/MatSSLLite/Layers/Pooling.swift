import QuantKernels

/// Max pool 3×3, stride 2, padding 1: [n, c, h, w] → [n, c, (h-1)/2+1, (w-1)/2+1].
public final class MaxPool3x3S2 {
    private var argmax: [Int32] = []
    private var inShape: [Int] = []
    public init() {}
    public func forward(_ x: Tensor, keep: Bool = true) -> Tensor {
        let ho = (x.h - 1) / 2 + 1, wo = (x.w - 1) / 2 + 1
        let y = Tensor(uninitialized: [x.n, x.c, ho, wo])
        argmax = [Int32](repeating: 0, count: y.count)
        qk_f32_maxpool3s2_forward(x.data, Int32(x.n * x.c), Int32(x.h), Int32(x.w), Int32(ho), Int32(wo), y.data, &argmax)
        inShape = x.shape
        if !keep { argmax = [] }
        return y
    }
    public func backward(_ dy: Tensor, into dx: Tensor) {
        qk_f32_maxpool3s2_backward(dy.data, argmax, Int32(dx.n * dx.c), Int32(dx.h), Int32(dx.w), Int32(dy.h), Int32(dy.w), dx.data)
        argmax = []
    }
}

/// Global average pool: [n, c, h, w] → [n, c].
public enum GlobalAvgPool {
    public static func forward(_ x: Tensor) -> Tensor {
        let y = Tensor([x.n, x.c])
        qk_f32_gap_forward(x.data, Int32(x.n * x.c), Int32(x.plane), y.data)
        return y
    }
    /// dy [n, c]; dx [n, c, h, w] receives the gradient added.
    public static func backward(_ dy: Tensor, into dx: Tensor) {
        qk_f32_gap_backward(dy.data, Int32(dx.n * dx.c), Int32(dx.plane), dx.data)
    }
}

/// Nearest-neighbour 2× upsampling: [n, c, h, w] → [n, c, 2h, 2w].
public enum Upsample2x {
    public static func forward(_ x: Tensor) -> Tensor {
        let y = Tensor(uninitialized: [x.n, x.c, 2 * x.h, 2 * x.w])
        qk_f32_upsample2_nearest_forward(x.data, Int32(x.n * x.c), Int32(x.h), Int32(x.w), y.data)
        return y
    }
    public static func backward(_ dy: Tensor, into dx: Tensor) {
        qk_f32_upsample2_nearest_backward(dy.data, Int32(dx.n * dx.c), Int32(dx.h), Int32(dx.w), dx.data)
    }
}
