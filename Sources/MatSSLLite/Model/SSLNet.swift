import Foundation

/// MatSSL-Lite self-supervised network: ResNet encoder + GFF head.
/// views [n, 1, h, w] in [0, 1] → projections [n, projectorDim].
public final class SSLNet {
    public let config: ModelConfig
    public let store = ParameterStore()
    let workspace = Workspace()
    public let encoder: ResNetEncoder
    public let gates: GFFGates
    public let head: GFFHead

    public init(config: ModelConfig, seed: UInt64 = 1) throws {
        try config.validate()
        self.config = config
        encoder = ResNetEncoder(config, store, workspace)
        gates = GFFGates(config, store)
        head = GFFHead(config, store, gates: gates)
        store.finalize(seed: seed)
    }

    public var batchNorms: [BatchNorm] { encoder.batchNorms + [head.bn] }
    public var training: Bool = true {
        didSet { for b in batchNorms { b.training = training } }
    }

    public func forward(_ views: Tensor) throws -> Tensor {
        guard views.shape.count == 4, views.c == 1, views.h >= 32, views.w >= 32 else {
            throw ModelError.badInput("expected [n, 1, h, w] (h, w ≥ 32), got \(views.shape)")
        }
        let x = Tensor(uninitialized: views.shape)
        let m = config.mean, inv = 1 / config.std
        for i in 0..<x.count { x[i] = (views[i] - m) * inv }
        let f = encoder.forward(x, keep: training)
        return head.forward(f.stages, keep: training)
    }

    public func backward(_ dz: Tensor) {
        let ds = head.backward(dz)
        encoder.backward(dStem: nil, dStages: ds)
    }
}
