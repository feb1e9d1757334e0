import Foundation

/// The Gated-Feature-Fusion gates: one learned per-channel vector g_s per stage (`gff.gate1..4`,
/// initialised to 1), applied as sigmoid(g_s). Shared by the SSL head and the segmentation skips.
/// With `ModelConfig.gffGates` off (the ablation) every scale is 1 and the gate tensors, still
/// declared so that checkpoints keep one layout, get no gradient.
public final class GFFGates {
    public let slots: [Slot]
    /// False: plain concatenation (scale 1, no gradient).
    public let enabled: Bool
    unowned let store: ParameterStore

    init(_ cfg: ModelConfig, _ store: ParameterStore) {
        self.store = store
        enabled = cfg.gffGates
        slots = (0..<4).map { store.declare("gff.gate\($0 + 1)", [cfg.widths[$0]], init: .ones) }
    }

    /// sigmoid(g_s) for stage s (0-based), or ones when the gates are off: [widths[s]].
    public func scale(_ s: Int) -> [Float] {
        guard enabled else { return [Float](repeating: 1, count: slots[s].count) }
        let g = store.value(slots[s])
        return (0..<slots[s].count).map { sigmoid(g[$0]) }
    }

    /// Adds dL/dg_s given dL/d(sigmoid(g_s)); nothing when the gates are off.
    func backward(_ s: Int, dScale: [Float]) {
        guard enabled else { return }
        let g = store.value(slots[s]), dg = store.grad(slots[s])
        for c in 0..<slots[s].count {
            let sg = sigmoid(g[c])
            dg[c] += dScale[c] * sg * (1 - sg)
        }
    }
}

/// The MatSSL SSL head: p_s = GAP(stage_s); z = concat_s(sigmoid(g_s) ⊙ p_s) [n, Σ widths];
/// projector Linear → BN1d → ReLU → Linear: [n, projectorDim] (`projector.0/1/3`).
public final class GFFHead {
    let gates: GFFGates
    public let fc1: Linear, bn: BatchNorm, fc2: Linear
    let relu = ReLU()
    private var pooled: [Tensor] = []
    private var stageShapes: [[Int]] = []
    let widths: [Int]

    init(_ cfg: ModelConfig, _ store: ParameterStore, gates: GFFGates) {
        self.gates = gates
        widths = cfg.widths
        let total = cfg.widths.reduce(0, +)
        fc1 = Linear("projector.0", store, in: total, out: cfg.projectorHidden)
        bn = BatchNorm("projector.1", store, channels: cfg.projectorHidden)
        fc2 = Linear("projector.3", store, in: cfg.projectorHidden, out: cfg.projectorDim)
    }

    /// stages → z [n, projectorDim].
    func forward(_ stages: [Tensor], keep: Bool) -> Tensor {
        let n = stages[0].n, total = widths.reduce(0, +)
        pooled = stages.map { GlobalAvgPool.forward($0) }
        stageShapes = stages.map { $0.shape }
        let z = Tensor([n, total])
        var off = 0
        for s in 0..<4 {
            let sc = gates.scale(s), p = pooled[s], c = widths[s]
            for i in 0..<n { for k in 0..<c { z[i * total + off + k] = sc[k] * p[i * c + k] } }
            off += c
        }
        return fc2.forward(relu.forward(bn.forward(fc1.forward(z, keep: keep), keep: keep), keep: keep), keep: keep)
    }

    /// dOut [n, projectorDim] → gradients for the four stage outputs (new tensors).
    func backward(_ dOut: Tensor) -> [Tensor] {
        let n = dOut.n, total = widths.reduce(0, +)
        let dr = Tensor([n, fc2.inFeatures]); fc2.backward(dOut, into: dr)
        let db = dr.zerosLike(); relu.backward(dr, into: db)
        let dh = db.zerosLike(); bn.backward(db, into: dh)
        let dz = Tensor([n, total]); fc1.backward(dh, into: dz)
        var out: [Tensor] = []
        var off = 0
        for s in 0..<4 {
            let sc = gates.scale(s), p = pooled[s], c = widths[s]
            let dp = Tensor([n, c])
            var dscale = [Float](repeating: 0, count: c)
            for i in 0..<n {
                for k in 0..<c {
                    let g = dz[i * total + off + k]
                    dp[i * c + k] = g * sc[k]
                    dscale[k] += g * p[i * c + k]
                }
            }
            gates.backward(s, dScale: dscale)
            let ds = Tensor(stageShapes[s])
            GlobalAvgPool.backward(dp, into: ds)
            out.append(ds)
            off += c
        }
        pooled = []
        return out
    }
}
