import Foundation

/// How a parameter is initialised when the store is finalised.
public enum ParameterInit: Sendable {
    case zeros
    case ones
    case constant(Float)
    /// Kaiming-normal (fan-in, ReLU gain): N(0, 2 / fanIn).
    case kaimingNormal(fanIn: Int)
    /// Uniform in [-bound, bound].
    case uniform(bound: Float)
}

/// One named view into an arena: offset and shape.
public struct ParameterEntry: Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let count: Int
    /// true: trainable (has a gradient and optimizer state); false: a buffer (BN running stats).
    public let trainable: Bool
    /// true for weights that get weight decay (conv/linear weights); false for BN, biases, gates.
    public let decays: Bool
    let initializer: ParameterInit
}

/// A handle to a named slot, used by layers to find their values/gradients.
public struct Slot: Sendable {
    public let offset: Int
    public let count: Int
    public let trainable: Bool
}

/// All parameters in one Float arena with named views, gradients in a parallel arena, and buffers
/// (BN running statistics) in a third arena (llm.c style). Layers declare slots while the network is
/// built; `finalize(seed:)` allocates and initialises.
public final class ParameterStore {
    public private(set) var entries: [ParameterEntry] = []
    public private(set) var index: [String: Int] = [:]
    public private(set) var parameterCount = 0
    public private(set) var bufferCount = 0
    public private(set) var values: UnsafeMutablePointer<Float>
    public private(set) var grads: UnsafeMutablePointer<Float>
    public private(set) var buffers: UnsafeMutablePointer<Float>
    public private(set) var finalized = false

    public init() {
        values = .allocate(capacity: 1); grads = .allocate(capacity: 1); buffers = .allocate(capacity: 1)
    }
    deinit { values.deallocate(); grads.deallocate(); buffers.deallocate() }

    /// Declares a named slot (names must be unique).
    public func declare(_ name: String, _ shape: [Int], trainable: Bool = true, decays: Bool = false,
                        init initializer: ParameterInit) -> Slot {
        precondition(!finalized, "ParameterStore: declare after finalize")
        precondition(index[name] == nil, "ParameterStore: duplicate name \(name)")
        let count = shape.reduce(1, *)
        let offset = trainable ? parameterCount : bufferCount
        if trainable { parameterCount += count } else { bufferCount += count }
        index[name] = entries.count
        entries.append(ParameterEntry(name: name, shape: shape, offset: offset, count: count,
                                      trainable: trainable, decays: decays, initializer: initializer))
        return Slot(offset: offset, count: count, trainable: trainable)
    }

    /// Allocates the arenas and initialises every slot from a seeded generator.
    public func finalize(seed: UInt64) {
        precondition(!finalized)
        values.deallocate(); grads.deallocate(); buffers.deallocate()
        values = .allocate(capacity: max(parameterCount, 1))
        grads = .allocate(capacity: max(parameterCount, 1))
        buffers = .allocate(capacity: max(bufferCount, 1))
        values.initialize(repeating: 0, count: max(parameterCount, 1))
        grads.initialize(repeating: 0, count: max(parameterCount, 1))
        buffers.initialize(repeating: 0, count: max(bufferCount, 1))
        var rng = RandomState(seed: seed)
        for e in entries {
            let p = (e.trainable ? values : buffers) + e.offset
            switch e.initializer {
            case .zeros: p.update(repeating: 0, count: e.count)
            case .ones: p.update(repeating: 1, count: e.count)
            case .constant(let v): p.update(repeating: v, count: e.count)
            case .kaimingNormal(let fanIn):
                let std = Float((2.0 / Double(fanIn)).squareRoot())
                for i in 0..<e.count { p[i] = rng.normal() * std }
            case .uniform(let bound):
                for i in 0..<e.count { p[i] = (rng.uniform() * 2 - 1) * bound }
            }
        }
        finalized = true
    }

    @inline(__always) public func value(_ s: Slot) -> UnsafeMutablePointer<Float> {
        (s.trainable ? values : buffers) + s.offset
    }
    @inline(__always) public func grad(_ s: Slot) -> UnsafeMutablePointer<Float> {
        precondition(s.trainable)
        return grads + s.offset
    }

    /// Zeroes all gradients.
    public func zeroGrads() { grads.update(repeating: 0, count: max(parameterCount, 1)) }

    /// The entry for `name`, if declared.
    public func entry(_ name: String) -> ParameterEntry? { index[name].map { entries[$0] } }

    /// Pointer to the storage of a named entry.
    public func pointer(_ e: ParameterEntry) -> UnsafeMutablePointer<Float> {
        (e.trainable ? values : buffers) + e.offset
    }

    /// A copy of a named tensor's values.
    public func copy(_ name: String) -> [Float]? {
        guard let e = entry(name) else { return nil }
        return Array(UnsafeBufferPointer(start: pointer(e), count: e.count))
    }
}
