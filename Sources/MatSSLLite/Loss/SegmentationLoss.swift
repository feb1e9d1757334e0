import Foundation
import QuantKernels

/// Cross-entropy (class-weighted, weighted mean over non-ignored pixels) plus soft Dice
/// (1 - mean over classes of (2 Σ p·t + ε) / (Σ p + Σ t + ε), over the whole batch).
/// logits [n, c, h, w]; labels n·h·w class ids (ignoreIndex skipped).
public struct SegmentationLoss {
    public var classWeights: [Float]
    public var ignoreIndex: UInt8 = 255
    public var diceWeight: Float = 1
    public var ceWeight: Float = 1
    public var smooth: Double = 1

    public init(classes: Int, classWeights: [Float]? = nil) {
        self.classWeights = classWeights ?? [Float](repeating: 1, count: classes)
    }

    /// Returns (total, ce, dice) and dL/dlogits.
    public func compute(logits: Tensor, labels: [UInt8]) -> (loss: Double, ce: Double, dice: Double, grad: Tensor) {
        let n = logits.n, c = logits.c, hw = logits.plane
        precondition(labels.count == n * hw && classWeights.count == c)
        let p = Tensor(uninitialized: logits.shape)
        qk_f32_softmax_channels(logits.data, Int32(n), Int32(c), Int32(hw), p.data)
        var inter = [Double](repeating: 0, count: c), psum = inter, tsum = inter
        var ceSum = 0.0, wSum = 0.0
        labels.withUnsafeBufferPointer { lb in
            for i in 0..<n {
                let base = i * c * hw
                for ch in 0..<c {
                    let pr = p.data + base + ch * hw
                    var ps = 0.0
                    for q in 0..<hw where lb[i * hw + q] != ignoreIndex { ps += Double(pr[q]) }
                    psum[ch] += ps
                }
                for q in 0..<hw {
                    let y = lb[i * hw + q]
                    if y == ignoreIndex { continue }
                    let yi = Int(y)
                    let py = Double(p.data[base + yi * hw + q])
                    inter[yi] += py; tsum[yi] += 1
                    let w = Double(classWeights[yi])
                    ceSum += -w * log(max(py, 1e-12)); wSum += w
                }
            }
        }
        let ce = wSum > 0 ? ceSum / wSum : 0
        var diceMean = 0.0
        var dDice_dI = [Double](repeating: 0, count: c), dDice_dP = dDice_dI
        for ch in 0..<c {
            let num = 2 * inter[ch] + smooth, den = psum[ch] + tsum[ch] + smooth
            diceMean += num / den / Double(c)
            // loss_dice = 1 - mean(num/den); d/dp for a pixel: -(1/c)(2 t / den - num / den² )
            dDice_dI[ch] = -2 / den / Double(c) * Double(diceWeight)
            dDice_dP[ch] = num / (den * den) / Double(c) * Double(diceWeight)
        }
        let dice = 1 - diceMean
        // dL/dp then softmax Jacobian; CE gradient directly in logit space.
        let grad = logits.zerosLike()
        let ceScale = wSum > 0 ? Double(ceWeight) / wSum : 0
        labels.withUnsafeBufferPointer { lb in
            var dp = [Double](repeating: 0, count: c)
            for i in 0..<n {
                let base = i * c * hw
                for q in 0..<hw {
                    let y = lb[i * hw + q]
                    if y == ignoreIndex { continue }
                    let yi = Int(y)
                    var dot = 0.0
                    for ch in 0..<c {
                        let pc = Double(p.data[base + ch * hw + q])
                        dp[ch] = dDice_dP[ch] + (ch == yi ? dDice_dI[ch] : 0)
                        dot += pc * dp[ch]
                    }
                    let w = Double(classWeights[yi]) * ceScale
                    for ch in 0..<c {
                        let pc = Double(p.data[base + ch * hw + q])
                        let g = pc * (dp[ch] - dot) + w * (pc - (ch == yi ? 1 : 0))
                        grad.data[base + ch * hw + q] = Float(g)
                    }
                }
            }
        }
        return (Double(ceWeight) * ce + Double(diceWeight) * dice, ce, dice, grad)
    }
}
