import Foundation
@testable import MatSSLLite

/// Central finite differences (Double accumulation) of a scalar loss w.r.t. parameters.
enum GradientCheck {
    /// Compares analytic gradients in `store.grads` with central differences of `loss()` for
    /// `samples` entries of each named tensor. Returns the worst relative error
    /// |a - n| / max(|a| + |n|, floor).
    static func worstError(store: ParameterStore, names: [String], samples: Int = 3, eps: Float = 1e-2,
                           floor: Double = 1e-2, loss: () -> Double) -> (Double, String) {
        var worst = 0.0, at = ""
        for name in names {
            guard let e = store.entry(name) else { return (Double.infinity, "missing \(name)") }
            let p = store.pointer(e)
            let g = store.grads + e.offset
            for k in 0..<min(samples, e.count) {
                let i = (k * 7919) % e.count
                let old = p[i]
                p[i] = old + eps; let lp = loss()
                p[i] = old - eps; let lm = loss()
                p[i] = old
                let num = (lp - lm) / (2 * Double(eps))
                let ana = Double(g[i])
                let err = abs(ana - num) / max(abs(ana) + abs(num), floor)
                if err > worst { worst = err; at = "\(name)[\(i)] analytic \(ana) numeric \(num)" }
            }
        }
        return (worst, at)
    }

    /// Directional check: for a random direction d over the named tensors (all trainable when nil),
    /// compares g·d with (L(θ+εd) - L(θ-εd)) / 2ε. Returns the relative error.
    static func directionalError(store: ParameterStore, names: [String]?, eps: Float = 1e-3, seed: UInt64 = 11,
                                 loss: () -> Double) -> (Double, Double, Double) {
        var rng = RandomState(seed: seed)
        let entries = store.entries.filter { $0.trainable && (names == nil || names!.contains($0.name)) }
        var dirs: [[Float]] = []
        var ana = 0.0
        for e in entries {
            let d = (0..<e.count).map { _ in rng.normal() }
            let g = store.grads + e.offset
            for i in 0..<e.count { ana += Double(g[i]) * Double(d[i]) }
            dirs.append(d)
        }
        func shift(_ s: Float) {
            for (k, e) in entries.enumerated() { let p = store.pointer(e); for i in 0..<e.count { p[i] += s * dirs[k][i] } }
        }
        shift(eps); let lp = loss()
        shift(-2 * eps); let lm = loss()
        shift(eps)
        let num = (lp - lm) / (2 * Double(eps))
        return (abs(ana - num) / max(abs(ana) + abs(num), 1.0), ana, num)
    }

    /// The best directional agreement over a ladder of step sizes. A tiny BN/ReLU net is piecewise
    /// smooth with high curvature (batch statistics over few values), so one fixed ε often straddles
    /// a kink; a correct gradient agrees with FD at some small ε, a wrong one (sign, scale, missing
    /// path) at none.
    static func bestDirectionalError(store: ParameterStore, names: [String]?, loss: () -> Double) -> (Double, Double, Double) {
        var best = (Double.infinity, 0.0, 0.0)
        for eps: Float in [1e-2, 3e-3, 1e-3, 3e-4, 1e-4] {
            let e = directionalError(store: store, names: names, eps: eps, loss: loss)
            if e.0 < best.0 { best = e }
        }
        return best
    }

    static func dot(_ a: Tensor, _ b: [Float]) -> Double {
        var s = 0.0
        for i in 0..<a.count { s += Double(a[i]) * Double(b[i]) }
        return s
    }
}
