import Foundation

/// Post-training quantization of a trained `SegmentationNet`: builds the folded graph, observes every
/// activation on calibration images (two passes: ranges, then histograms), chooses each tensor's u8
/// parameters with the calibration method, and quantizes the weights per output channel.
public enum Quantizer {
    public struct Options: Sendable {
        public var method: CalibrationMethod = .percentile
        public var percentile: Double = 99.99
        public var name: String = "model"
        public var version: String = "1"
        public var tilePixelBudget: Int = 1_500_000
        public init() {}
    }

    /// - Parameter images: calibration images, each `[1, 1, h, w]` raw [0, 1] with h, w multiples of 32.
    public static func calibrate(graph: InferenceGraph, images: [Tensor]) throws -> [ActivationObserver] {
        let runner = FloatGraphRunner(graph: graph)
        var observers = [ActivationObserver](repeating: ActivationObserver(), count: graph.tensors.count)
        for img in images { _ = try runner.run(img) { id, v in observers[id].observeRange(v) } }
        for img in images { _ = try runner.run(img) { id, v in observers[id].observeHistogram(v) } }
        return observers
    }

    /// Activation parameters for every tensor from the observers.
    public static func activationParams(graph: InferenceGraph, observers: [ActivationObserver], method: CalibrationMethod,
                                        percentile: Double) -> [QuantParams?] {
        var params = [QuantParams?](repeating: nil, count: graph.tensors.count)
        // The raw image: q = round(255·x); its zero point stands for the model's mean intensity.
        params[0] = QuantParams(scale: 1 / 255, zeroPoint: min(255, max(0, Int((graph.inputMean * 255).rounded()))))
        func chosen(_ id: Int) -> QuantParams {
            let o = observers[id]
            let t = o.threshold(method: method, percentile: percentile)
            if o.isNonNegative { return QuantParams(scale: max(t, 1e-8) / 255, zeroPoint: 0) }
            return QuantParams.covering(lo: max(o.minValue, -t), hi: min(o.maxValue, t))
        }
        for op in graph.ops {
            switch op {
            case .conv(let c): params[c.output] = c.floatOutput ? nil : chosen(c.output)
            // Max pool and nearest upsample only move values: they keep their input's parameters.
            case .maxPool(let i, let o), .upsample(let i, let o): params[o] = params[i]
            case .concat(_, let o): params[o] = chosen(o)
            }
        }
        return params
    }

    /// Quantizes `graph`'s weights given the activation parameters.
    public static func quantize(graph: InferenceGraph, activations: [QuantParams?]) throws -> [QuantizedConv] {
        try graph.convs.map { spec in
            guard let input = activations[spec.input] else { throw ModelError.invalidConfig("conv \(spec.name): input has no quantization") }
            let offset: Float = spec.input == 0 ? Float(input.zeroPoint) / 255 - graph.inputMean : 0
            return try QuantizedConv(spec: spec, weights: graph.weights[spec.name]!, bias: graph.biases[spec.name]!,
                                     input: input, output: activations[spec.output], inputOffset: offset)
        }
    }

    /// The whole pipeline: graph, calibration, parameters, weights.
    public static func quantize(net: SegmentationNet, calibration images: [Tensor], options: Options,
                                provenance: QuantizationProvenance, trainingData: [String: String] = [:]) throws -> QuantizedModel {
        let graph = InferenceGraphBuilder.build(net)
        let observers = try calibrate(graph: graph, images: images)
        return try quantize(graph: graph, observers: observers, config: net.config, options: options, provenance: provenance,
                            trainingData: trainingData)
    }

    /// Parameters and weights from observations already made (one calibration serves every method).
    public static func quantize(graph: InferenceGraph, observers: [ActivationObserver], config: ModelConfig, options: Options,
                                provenance: QuantizationProvenance, trainingData: [String: String] = [:]) throws -> QuantizedModel {
        let acts = activationParams(graph: graph, observers: observers, method: options.method, percentile: options.percentile)
        let convs = try quantize(graph: graph, activations: acts)
        var structure = graph
        structure.weights = [:]
        structure.biases = [:]
        let halo = (graph.receptiveRadius() + InferenceGraph.alignment - 1) / InferenceGraph.alignment * InferenceGraph.alignment
        let info = QuantizedModelInfo(name: options.name, version: options.version, config: config, graph: structure,
                                      activations: acts, halo: halo, tilePixelBudget: options.tilePixelBudget,
                                      provenance: provenance, trainingData: trainingData)
        return try QuantizedModel(info: info, convs: convs)
    }
}
