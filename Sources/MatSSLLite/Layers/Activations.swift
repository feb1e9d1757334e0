import Foundation
import QuantKernels

/// ReLU: y = max(x, 0), same shape. Keeps y for backward.
public final class ReLU {
    private var output: Tensor?
    public init() {}
    public func forward(_ x: Tensor, keep: Bool = true) -> Tensor {
        let y = Tensor(uninitialized: x.shape)
        qk_f32_relu_forward(x.data, y.data, x.count)
        output = keep ? y : nil
        return y
    }
    public func backward(_ dy: Tensor, into dx: Tensor) {
        guard let y = output else { preconditionFailure("ReLU: backward without forward") }
        qk_f32_relu_backward(y.data, dy.data, dx.data, y.count)
        output = nil
    }
}

/// Logistic sigmoid of a vector (used for the GFF gates).
@inline(__always) public func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }
