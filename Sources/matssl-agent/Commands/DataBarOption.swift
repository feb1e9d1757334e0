import ArgumentParser

/// `--data-bar-rows`: the SEM data bar (scale, magnification, detector text) at the bottom of every
/// micrograph, left out of training, calibration and scoring — it is not microstructure. The
/// daemon's `statistics.data_bar_rows` is the same setting for the images it watches.
struct DataBarOption: ParsableArguments {
    @Option(help: "Rows of SEM data bar at the bottom of every image (and mask), left out of training, calibration and scoring.")
    var dataBarRows = 0

    func validate() throws {
        guard dataBarRows >= 0 else { throw ValidationError("--data-bar-rows must be ≥ 0 (got \(dataBarRows))") }
    }

    /// Recorded in a checkpoint's provenance (only when set, so older checkpoints compare equal).
    var provenance: [String: String] { dataBarRows > 0 ? ["dataBarRows": "\(dataBarRows)"] : [:] }
}
