import Foundation
import Testing
import QuantKernels
@testable import MatSSLLite

/// Each layer's backward against central finite differences of L = Σ y·r (Double accumulation).
@Suite struct LayerGradientTests {
    static func rand(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RandomState(seed: seed)
        let t = Tensor(shape)
        for i in 0..<t.count { t[i] = rng.uniform(-1, 1) }
        return t
    }

    /// Worst relative error of dL/dx (analytic dx vs FD on a few inputs).
    static func inputError(_ x: Tensor, _ dx: Tensor, eps: Float = 1e-2, _ loss: () -> Double) -> Double {
        var worst = 0.0
        for k in 0..<min(12, x.count) {
            let i = (k * 7919) % x.count
            let old = x[i]
            x[i] = old + eps; let lp = loss()
            x[i] = old - eps; let lm = loss()
            x[i] = old
            let num = (lp - lm) / (2 * Double(eps)), ana = Double(dx[i])
            worst = max(worst, abs(num - ana) / max(abs(num) + abs(ana), 1e-2))
        }
        return worst
    }

    @Test func conv2DStride2PaddedBackward() {
        let store = ParameterStore(), ws = Workspace()
        let conv = Conv2D("c", store, ws, cin: 2, cout: 3, kernel: 3, stride: 2, bias: true)
        store.finalize(seed: 1)
        let x = Self.rand([2, 2, 9, 8], seed: 2)
        let y = conv.forward(x)
        let r = Self.rand(y.shape, seed: 3).array
        let dx = x.zerosLike()
        conv.backward(Tensor(y.shape, values: r), into: dx)
        let loss = { GradientCheck.dot(conv.forward(x), r) }
        #expect(Self.inputError(x, dx, loss) < 0.02)
        let (w, at) = GradientCheck.worstError(store: store, names: ["c.weight", "c.bias"], samples: 8, loss: loss)
        #expect(w < 0.02, "\(at)")
    }

    @Test func batchNormTrainBackward() {
        let store = ParameterStore()
        let bn = BatchNorm("bn", store, channels: 3)
        store.finalize(seed: 1)
        bn.momentum = 0
        store.value(bn.weight)[1] = 1.7; store.value(bn.bias)[2] = -0.3
        let x = Self.rand([3, 3, 4, 5], seed: 2)
        let y = bn.forward(x)
        let r = Self.rand(y.shape, seed: 3).array
        let dx = x.zerosLike()
        bn.backward(Tensor(y.shape, values: r), into: dx)
        let loss = { GradientCheck.dot(bn.forward(x), r) }
        #expect(Self.inputError(x, dx, eps: 1e-3, loss) < 0.02)
        let (w, at) = GradientCheck.worstError(store: store, names: ["bn.weight", "bn.bias"], samples: 3, loss: loss)
        #expect(w < 0.02, "\(at)")
    }

    @Test func reluMaxPoolUpsampleBackward() {
        let x = Self.rand([2, 2, 7, 6], seed: 4)
        let relu = ReLU(), pool = MaxPool3x3S2()
        func f() -> Tensor { Upsample2x.forward(pool.forward(relu.forward(x))) }
        let y = f()
        let r = Self.rand(y.shape, seed: 5).array
        let dUp = Tensor([2, 2, 4, 3]); Upsample2x.backward(Tensor(y.shape, values: r), into: dUp)
        let dPool = x.zerosLike(); pool.backward(dUp, into: dPool)
        let dx = x.zerosLike(); relu.backward(dPool, into: dx)
        #expect(Self.inputError(x, dx, eps: 1e-3) { GradientCheck.dot(f(), r) } < 0.02)
    }

    @Test func linearAndBatchNorm1DBackward() {
        let store = ParameterStore()
        let fc = Linear("fc", store, in: 5, out: 4)
        let bn = BatchNorm("bn", store, channels: 4)
        store.finalize(seed: 2)
        bn.momentum = 0
        let x = Self.rand([6, 5], seed: 3)
        func f() -> Tensor { bn.forward(fc.forward(x)) }
        let y = f()
        let r = Self.rand(y.shape, seed: 4).array
        let dh = Tensor([6, 4]); bn.backward(Tensor(y.shape, values: r), into: dh)
        let dx = x.zerosLike(); fc.backward(dh, into: dx)
        let loss = { GradientCheck.dot(f(), r) }
        #expect(Self.inputError(x, dx, eps: 1e-3, loss) < 0.02)
        let (w, at) = GradientCheck.worstError(store: store, names: ["fc.weight", "fc.bias", "bn.weight"], samples: 5, eps: 1e-3, loss: loss)
        #expect(w < 0.02, "\(at)")
    }

    @Test func basicBlockBackward() {
        let store = ParameterStore(), ws = Workspace()
        let block = BasicBlock("b", store, ws, cin: 2, cout: 3, stride: 2)
        store.finalize(seed: 3)
        for b in block.batchNorms { b.momentum = 0 }
        let x = Self.rand([2, 2, 8, 8], seed: 4)
        let y = block.forward(x, keep: true)
        let r = Self.rand(y.shape, seed: 5).array
        let dx = block.backward(Tensor(y.shape, values: r))
        let loss = { GradientCheck.dot(block.forward(x, keep: true), r) }
        #expect(Self.inputError(x, dx, eps: 1e-3, loss) < 0.03)
        let (w, at) = GradientCheck.worstError(store: store, names: ["b.conv1.weight", "b.bn2.weight", "b.downsample.0.weight"], samples: 4, eps: 1e-3, loss: loss)
        #expect(w < 0.03, "\(at)")
    }

    @Test func gatedConcatDecoderBlockBackward() {
        let store = ParameterStore(), ws = Workspace()
        let blk = DecoderBlock("d", store, ws, cin: 3, cskip: 2, cout: 2)
        store.finalize(seed: 3)
        for b in blk.batchNorms { b.momentum = 0 }
        let x = Self.rand([2, 3, 3, 4], seed: 4), skip = Self.rand([2, 2, 6, 8], seed: 5)
        var scale: [Float] = [0.3, 0.8]
        let y = blk.forward(x, skip: skip, skipScale: scale, keep: true)
        let r = Self.rand(y.shape, seed: 6).array
        let res = blk.backward(Tensor(y.shape, values: r))
        let loss = { GradientCheck.dot(blk.forward(x, skip: skip, skipScale: scale, keep: true), r) }
        #expect(Self.inputError(x, res.dx, eps: 1e-3, loss) < 0.03)
        #expect(Self.inputError(skip, res.dSkip!, eps: 1e-3, loss) < 0.03)
        for c in 0..<2 {
            let old = scale[c]
            scale[c] = old + 1e-3; let lp = loss()
            scale[c] = old - 1e-3; let lm = loss()
            scale[c] = old
            let num = (lp - lm) / 2e-3, ana = Double(res.dScale![c])
            #expect(abs(num - ana) / max(abs(num) + abs(ana), 1e-2) < 0.03, "skip scale \(c): \(ana) vs \(num)")
        }
    }
}
