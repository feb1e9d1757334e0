import Foundation

/// Learning-rate schedule: linear warm-up from 0, then cosine decay to `minFactor`·base.
public struct LRSchedule: Codable, Sendable, Equatable {
    public var base: Double
    public var warmupSteps: Int
    public var totalSteps: Int
    public var minFactor: Double = 0

    public init(base: Double, warmupSteps: Int, totalSteps: Int, minFactor: Double = 0) {
        self.base = base; self.warmupSteps = warmupSteps; self.totalSteps = totalSteps; self.minFactor = minFactor
    }

    public func rate(at step: Int) -> Double {
        if step < warmupSteps { return base * Double(step + 1) / Double(warmupSteps) }
        let span = max(totalSteps - warmupSteps, 1)
        let t = min(Double(step - warmupSteps) / Double(span), 1)
        return base * (minFactor + (1 - minFactor) * 0.5 * (1 + cos(Double.pi * t)))
    }
}

public enum OptimizerKind: String, Codable, Sendable { case sgd, adamw }

/// One loop over the parameter arena: SGD with momentum + weight decay, or AdamW.
/// State (momentum / Adam moments) lives in arenas parallel to the parameters.
public final class Optimizer {
    public let kind: OptimizerKind
    public var momentum: Float = 0.9
    public var weightDecay: Float
    public var beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8
    public private(set) var stepCount: Int = 0
    /// m (momentum or Adam first moment) and v (Adam second moment), each parameterCount long.
    public var m: [Float], v: [Float]
    let decayMask: [Bool]
    unowned let store: ParameterStore

    public init(_ kind: OptimizerKind, store: ParameterStore, weightDecay: Float) {
        self.kind = kind; self.store = store; self.weightDecay = weightDecay
        m = [Float](repeating: 0, count: store.parameterCount)
        v = kind == .adamw ? [Float](repeating: 0, count: store.parameterCount) : []
        var mask = [Bool](repeating: false, count: store.parameterCount)
        for e in store.entries where e.trainable && e.decays { for i in e.offset..<(e.offset + e.count) { mask[i] = true } }
        decayMask = mask
    }

    /// Restores state from a checkpoint.
    public func restore(step: Int, m: [Float], v: [Float]) {
        stepCount = step; self.m = m; self.v = v
    }

    /// Applies one update with learning rate `lr` using the gradients in the store.
    public func step(lr: Float) {
        let n = store.parameterCount
        let p = store.values, g = store.grads
        stepCount += 1
        switch kind {
        case .sgd:
            let mu = momentum, wd = weightDecay
            m.withUnsafeMutableBufferPointer { mb in
                decayMask.withUnsafeBufferPointer { dm in
                    for i in 0..<n {
                        let gi = g[i] + (dm[i] ? wd * p[i] : 0)
                        mb[i] = mu * mb[i] + gi
                        p[i] -= lr * mb[i]
                    }
                }
            }
        case .adamw:
            let b1 = beta1, b2 = beta2, e = eps, wd = weightDecay
            let c1 = 1 - Float(pow(Double(b1), Double(stepCount))), c2 = 1 - Float(pow(Double(b2), Double(stepCount)))
            m.withUnsafeMutableBufferPointer { mb in
                v.withUnsafeMutableBufferPointer { vb in
                    decayMask.withUnsafeBufferPointer { dm in
                        for i in 0..<n {
                            let gi = g[i]
                            mb[i] = b1 * mb[i] + (1 - b1) * gi
                            vb[i] = b2 * vb[i] + (1 - b2) * gi * gi
                            let upd = (mb[i] / c1) / ((vb[i] / c2).squareRoot() + e)
                            p[i] -= lr * (upd + (dm[i] ? wd * p[i] : 0))
                        }
                    }
                }
            }
        }
    }
}
