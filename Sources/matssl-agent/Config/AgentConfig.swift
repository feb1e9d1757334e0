import Foundation
import MatSSLLite
import Watcher

/// Every setting of `matssl-agent run`, with defaults that serve. The TOML layout (sections and keys)
/// is documented in `deploy/matssl-agent.toml` and `docs/daemon.md`; `ConfigLoader` parses it.
struct AgentConfig: Equatable, Sendable {
    // [watch]
    /// Directory trees to watch (absolute paths).
    var roots: [String] = []
    var backend: WatchBackendChoice = .auto
    /// Seconds between polling passes on network shares / when polling is forced.
    var pollInterval: Double = 5
    /// Seconds between full rescans under inotify (0 = only at start-up and on queue overflow).
    var rescanInterval: Double = 900
    /// Seconds a file's size, mtime and inode must stay unchanged before it is taken.
    var settleTime: Double = 2
    var include: [String] = ["*.tif", "*.tiff", "*.png", "*.jpg", "*.jpeg", "*.bmp"]
    var exclude: [String] = []

    // [output]
    /// Name of the folder created beside each image for its outputs (no leading dot, no slash).
    var outputFolder: String = "matssl"
    /// Absolute root of a mirror tree receiving all outputs (`OutputLayout`); "" = beside the images.
    var outputRoot: String = ""
    var writeOverlay: Bool = true
    var writeResultsCSV: Bool = true

    // [segmentation]
    /// "auto" (the int8 model when `model` resolves, else the Otsu baseline with a notice naming
    /// where it looked), "model" (the int8 MatSSL-Lite network; an error when the model is missing)
    /// or "otsu" (classical two-class baseline).
    var engine: String = "auto"
    /// Model file path, or a model name looked up by `ModelLocator` ("" = the shipped "metaldam").
    var model: String = ""
    /// Compute threads for segmentation.
    var threads: Int = 2
    /// Test-time augmentation of the model engine: "none", "flips" (4 passes) or "d4" (8 passes).
    var testTimeAugmentation: String = AgentConfig.defaultTestTimeAugmentation.rawValue
    /// Largest tile the model engine computes at once, in megapixels including the halo (0 = the
    /// model file's own budget, 1.5 for the shipped models). Larger tiles cost memory (≈ 32 bytes
    /// per tile pixel) and save the halo's recomputation on images bigger than one tile.
    var tileMegapixels: Double = 0

    /// What `segment` and the daemon use unless told otherwise (docs/quantization.md measures it).
    static let defaultTestTimeAugmentation = TestTimeAugmentation.flips
    /// `testTimeAugmentation` parsed (validated by the loader).
    var augmentation: TestTimeAugmentation { TestTimeAugmentation(rawValue: testTimeAugmentation) ?? .none }
    /// `tileMegapixels` in pixels, nil for the model's own budget.
    var tilePixelBudget: Int? { tileMegapixels > 0 ? Int((tileMegapixels * 1e6).rounded()) : nil }

    // [statistics]
    /// Classes (by name) that delineate grains: each gets an ASTM E112 intercept grain size.
    var grainClasses: [String] = []
    /// Rows of SEM data bar at the bottom of every image, left out of the statistics.
    var dataBarRows: Int = 0
    /// Also write `X.objects.csv` (one row per connected object).
    var objectsCSV: Bool = false
    /// Separator of the CSV files (`;` gives `,` decimals for European spreadsheets).
    var csvSeparator: CSVSeparator = .comma
    /// Rebuild `index.html` (per-image thumbnails and fractions, series mean ± 95 % CI) per folder.
    var htmlReport: Bool = true

    /// What the per-image statistics measure.
    var statisticsOptions: StatisticsOptions {
        StatisticsOptions(grainBoundaryClasses: grainClasses, dataBarRows: dataBarRows)
    }

    // [image]
    /// Pixel size in micrometres used when the file carries none (0 = unknown, never guessed).
    var pixelSizeMicrometres: Double = 0
    /// Raw sample values read as intensity 0 and 1: "auto", "storage" or "LOW:HIGH" (`IntensityPolicy`).
    var intensityRange: IntensityPolicy = .auto

    // [limits]
    /// Files larger than this are failed without decoding (MiB).
    var maxFileMegabytes: Int = 1024
    /// Images with more pixels than this are failed without decoding.
    var maxPixels: Int = 200_000_000

    // [state]
    /// Directory holding the journal (`journal.sqlite`).
    var stateDirectory: String = "/var/lib/matssl-agent"

    // [service]
    /// Seconds between STATUS= updates to systemd and progress log lines.
    var statusInterval: Double = 10

    /// Where each folder's outputs go.
    var outputLayout: OutputLayout { OutputLayout(config: self) }

    /// Path of the journal database inside the state directory.
    var journalPath: String { (stateDirectory as NSString).appendingPathComponent("journal.sqlite") }

    /// The watcher's view of this configuration.
    var watchOptions: WatchOptions {
        WatchOptions(
            roots: roots,
            filter: PathFilter(include: include, exclude: exclude, skippedDirectoryNames: [outputFolder]),
            backend: backend, pollInterval: pollInterval, rescanInterval: rescanInterval)
    }
}
