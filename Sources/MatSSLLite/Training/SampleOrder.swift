import Foundation

/// Deterministic sample order: sample k (= step·batch + slot) is image perm(epoch)[k mod n] with
/// epoch = k / n and perm a seeded shuffle. The generator for step s is RandomState(seed, stream: s);
/// so a run's randomness is a function of (seed, step) and resumed runs reproduce exactly.
public struct SampleOrder {
    public let count: Int, seed: UInt64
    private var cache: (epoch: Int, perm: [Int])?

    public init(count: Int, seed: UInt64) { self.count = count; self.seed = seed }

    public mutating func index(_ k: Int) -> Int {
        let epoch = k / count
        if cache?.epoch != epoch {
            var rng = RandomState(seed: seed ^ 0x5EED_0F_0DE5, stream: UInt64(epoch))
            var p = Array(0..<count)
            for i in stride(from: count - 1, to: 0, by: -1) { p.swapAt(i, rng.int(i + 1)) }
            cache = (epoch, p)
        }
        return cache!.perm[k % count]
    }

    /// The generator of view/crop v of step s.
    public func rng(step: Int, item: Int) -> RandomState {
        RandomState(seed: seed, stream: UInt64(step) << 16 | UInt64(item))
    }
}
