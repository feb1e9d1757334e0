import Foundation

/// Post-hoc correction of a class-weighted cross-entropy's bias ("logit adjustment", Menon et al.
/// 2021): a network trained with class weights w_c estimates q_c ∝ w_c · p(c | x), so adding
/// −τ·log w_c to its logits gives back p(c | x) at τ = 1 and the argmax mask calls each class about
/// as often as it occurs — what area fractions need. τ = 0 leaves the network as trained.
public struct LogitAdjustment: Codable, Sendable, Equatable {
    /// Strength τ (0: none, 1: the full correction).
    public var tau: Float
    /// The fine-tuning class weights w `[classes]` it corrects for.
    public var classWeights: [Float]

    public init(tau: Float, classWeights: [Float]) {
        self.tau = tau
        self.classWeights = classWeights
    }

    /// Added to the logits `[classes]`: −τ·log w_c, shifted to mean 0 over the classes with w_c > 0;
    /// 0 for classes with w_c = 0 (absent from the training labels: nothing to undo).
    public var offsets: [Float] {
        let present = classWeights.filter { $0 > 0 }
        guard !present.isEmpty else { return classWeights.map { _ in 0 } }
        let meanLog = present.map { log($0) }.reduce(0, +) / Float(present.count)
        return classWeights.map { $0 > 0 ? -tau * (log($0) - meanLog) : 0 }
    }

    /// Adds `offsets` to `net`'s classifier bias in place, so every graph built from it (and its
    /// fp32 predictions) carry the correction.
    public func apply(to net: SegmentationNet) throws {
        guard classWeights.count == net.numClasses else {
            throw ModelError.invalidConfig("logit adjustment for \(classWeights.count) classes, the network has \(net.numClasses)")
        }
        guard let slot = net.classifier.bias else { throw ModelError.invalidConfig("the classifier has no bias to adjust") }
        let b = net.store.value(slot)
        for (c, o) in offsets.enumerated() { b[c] += o }
    }
}
