import ArgumentParser
import MatSSLLite

/// `--intensity-range` on the training, calibration and scoring commands: which raw sample values
/// are black and white (`IntensityPolicy`, docs/image-io.md). The daemon's `[image] intensity_range`
/// is the same setting for the images it watches; a model should be trained as it will be used.
struct IntensityRangeOption: ParsableArguments {
    @Option(help: IntensityPolicy.argumentHelp)
    var intensityRange: IntensityPolicy = .auto

    /// Decoding limits carrying the policy.
    var limits: DecodeLimits { DecodeLimits(intensity: intensityRange) }

    /// Recorded in a checkpoint's provenance (only when not "auto", so older checkpoints compare equal).
    var provenance: [String: String] { intensityRange == .auto ? [:] : ["intensityRange": intensityRange.description] }
}
