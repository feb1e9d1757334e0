import Foundation

/// NT-Xent (SimCLR) loss with in-batch negatives. z [2n, d]: rows 0..<n are view 1 of images
/// 0..<n, rows n..<2n view 2 (the positive of row i is row (i + n) mod 2n).
/// loss = mean_i [ -s(i, pos) + log Σ_{j≠i} exp s(i, j) ], s = cos-sim / temperature.
public enum NTXentLoss {
    /// Returns the loss and dL/dz [2n, d]. Computed in Double.
    public static func compute(_ z: Tensor, temperature: Double = 0.07) -> (loss: Double, grad: Tensor) {
        let m = z.n, d = z.count / z.n
        precondition(m % 2 == 0 && m >= 4, "NT-Xent needs an even number (≥ 4) of views")
        let half = m / 2
        var u = [Double](repeating: 0, count: m * d), norms = [Double](repeating: 0, count: m)
        for i in 0..<m {
            var s = 0.0
            for k in 0..<d { let v = Double(z[i * d + k]); s += v * v }
            let nrm = max(s.squareRoot(), 1e-12)
            norms[i] = nrm
            for k in 0..<d { u[i * d + k] = Double(z[i * d + k]) / nrm }
        }
        var sim = [Double](repeating: 0, count: m * m)
        u.withUnsafeBufferPointer { up in
            for i in 0..<m { for j in 0..<m {
                var s = 0.0
                for k in 0..<d { s += up[i * d + k] * up[j * d + k] }
                sim[i * m + j] = s / temperature
            } }
        }
        var loss = 0.0
        var dS = [Double](repeating: 0, count: m * m)
        for i in 0..<m {
            let pos = (i + half) % m
            var mx = -Double.infinity
            for j in 0..<m where j != i { mx = max(mx, sim[i * m + j]) }
            var sum = 0.0
            for j in 0..<m where j != i { sum += exp(sim[i * m + j] - mx) }
            loss += -sim[i * m + pos] + mx + log(sum)
            for j in 0..<m where j != i { dS[i * m + j] = exp(sim[i * m + j] - mx) / sum / Double(m) }
            dS[i * m + pos] -= 1 / Double(m)
        }
        loss /= Double(m)
        // du_i = Σ_j (dS_ij + dS_ji) u_j / T ; dz_i = (du_i - u_i (u_i·du_i)) / |z_i|
        let grad = Tensor(z.shape)
        var du = [Double](repeating: 0, count: d)
        for i in 0..<m {
            for k in 0..<d { du[k] = 0 }
            for j in 0..<m {
                let c = (dS[i * m + j] + dS[j * m + i]) / temperature
                if c == 0 { continue }
                for k in 0..<d { du[k] += c * u[j * d + k] }
            }
            var dot = 0.0
            for k in 0..<d { dot += du[k] * u[i * d + k] }
            for k in 0..<d { grad[i * d + k] = Float((du[k] - u[i * d + k] * dot) / norms[i]) }
        }
        return (loss, grad)
    }
}
