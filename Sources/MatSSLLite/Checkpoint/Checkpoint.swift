import Foundation

/// Training state that a checkpoint carries besides the parameters.
public struct TrainingState: Codable, Sendable, Equatable {
    public var kind: String            // "ssl" or "segmentation"
    public var step: Int = 0
    public var totalSteps: Int = 0
    public var seed: UInt64 = 1
    public var optimizer: OptimizerKind = .sgd
    public var schedule: LRSchedule = LRSchedule(base: 0.1, warmupSteps: 0, totalSteps: 1)
    public var weightDecay: Float = 0
    public var elapsedSeconds: Double = 0
    public var provenance: [String: String] = [:]
    public init(kind: String) { self.kind = kind }
}

/// A MatSSL-Lite checkpoint: parameters + buffers (torchvision names), optimizer state
/// (`optimizer.m`, `optimizer.v`, flat over the arena), and metadata: `format` (version),
/// `config` (ModelConfig JSON), `training` (TrainingState JSON), class names/colours in the config.
public enum Checkpoint {
    public static let formatVersion = "matssl-lite/1"

    /// Writes the store (and optionally optimizer state) atomically.
    public static func save(path: String, config: ModelConfig, store: ParameterStore, state: TrainingState,
                            optimizer: Optimizer? = nil) throws {
        var st = SafeTensors()
        for e in store.entries {
            st.add(e.name, shape: e.shape, values: Array(UnsafeBufferPointer(start: store.pointer(e), count: e.count)))
        }
        if let o = optimizer {
            st.add("optimizer.m", shape: [o.m.count], values: o.m)
            if !o.v.isEmpty { st.add("optimizer.v", shape: [o.v.count], values: o.v) }
        }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        st.metadata = ["format": formatVersion, "config": config.json(),
                       "training": String(decoding: try enc.encode(state), as: UTF8.self),
                       "classes": config.classNames.joined(separator: ",")]
        try st.write(to: path)
    }

    /// A loaded checkpoint: validated header and metadata.
    public struct Loaded {
        public let path: String
        public let file: SafeTensors
        public let config: ModelConfig
        public let state: TrainingState
    }

    public static func load(path: String) throws -> Loaded {
        let st = try SafeTensors.read(path: path)
        guard st.metadata["format"] == formatVersion else {
            throw CheckpointError.corrupt(path: path, reason: "format \(st.metadata["format"] ?? "missing"), expected \(formatVersion)")
        }
        guard let cj = st.metadata["config"] else { throw CheckpointError.corrupt(path: path, reason: "no config metadata") }
        let config: ModelConfig
        do { config = try ModelConfig.from(json: cj); try config.validate() } catch {
            throw CheckpointError.corrupt(path: path, reason: "\(error)")
        }
        guard let tj = st.metadata["training"], let state = try? JSONDecoder().decode(TrainingState.self, from: Data(tj.utf8)) else {
            throw CheckpointError.corrupt(path: path, reason: "missing or malformed training metadata")
        }
        return Loaded(path: path, file: st, config: config, state: state)
    }

    /// Copies tensors into the store. `strict`: every store entry must be present; otherwise entries
    /// present in both are loaded (e.g. SSL encoder + gates into a segmentation net). Shapes must match.
    /// `include` limits the entries considered (e.g. the encoder only). Returns the names loaded.
    @discardableResult
    public static func restore(_ ck: Loaded, into store: ParameterStore, strict: Bool,
                               including include: (String) -> Bool = { _ in true }) throws -> [String] {
        var loaded: [String] = []
        for e in store.entries where include(e.name) {
            guard let t = ck.file.tensors[e.name] else {
                if strict { throw CheckpointError.mismatch(path: ck.path, reason: "tensor \(e.name) missing") }
                continue
            }
            guard t.shape == e.shape else {
                throw CheckpointError.mismatch(path: ck.path, reason: "tensor \(e.name) has shape \(t.shape), model expects \(e.shape)")
            }
            t.values.withUnsafeBufferPointer { store.pointer(e).update(from: $0.baseAddress!, count: e.count) }
            loaded.append(e.name)
        }
        return loaded
    }

    /// Restores optimizer state (exact resume).
    public static func restore(_ ck: Loaded, into optimizer: Optimizer, parameterCount: Int) throws {
        guard let m = ck.file.tensors["optimizer.m"], m.values.count == parameterCount else {
            throw CheckpointError.mismatch(path: ck.path, reason: "optimizer.m missing or of the wrong size (cannot resume)")
        }
        var v: [Float] = []
        if optimizer.kind == .adamw {
            guard let vv = ck.file.tensors["optimizer.v"], vv.values.count == parameterCount else {
                throw CheckpointError.mismatch(path: ck.path, reason: "optimizer.v missing or of the wrong size (cannot resume)")
            }
            v = vv.values
        }
        optimizer.restore(step: ck.state.step, m: m.values, v: v)
    }

    /// Exact resume: parameters, buffers and optimizer state from `ck`; returns the training state to continue.
    public static func resume(_ ck: Loaded, store: ParameterStore, optimizer: Optimizer) throws -> TrainingState {
        try restore(ck, into: store, strict: true)
        try restore(ck, into: optimizer, parameterCount: store.parameterCount)
        return ck.state
    }

    /// Builds the segmentation network stored in a checkpoint (eval mode), loading all tensors strictly.
    public static func loadSegmentationNet(path: String) throws -> SegmentationNet {
        try segmentationNet(from: load(path: path))
    }

    /// The segmentation network of an already loaded checkpoint (eval mode), all tensors strictly.
    public static func segmentationNet(from ck: Loaded) throws -> SegmentationNet {
        guard ck.config.classNames.count >= 2 else {
            throw CheckpointError.mismatch(path: ck.path, reason: "not a segmentation checkpoint (no classes)")
        }
        let net = try SegmentationNet(config: ck.config)
        try restore(ck, into: net.store, strict: true)
        net.training = false
        return net
    }
}

extension Checkpoint {
    /// Copies a checkpoint without its optimizer state (for shipping: a third of the size).
    public static func exportWeights(from source: String, to destination: String) throws {
        var st = try load(path: source).file
        st.tensors = st.tensors.filter { !$0.key.hasPrefix("optimizer.") }
        try st.write(to: destination)
    }
}
