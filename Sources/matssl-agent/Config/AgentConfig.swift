import Foundation
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
    var include: [String] = ["*.tif", "*.tiff", "*.png", "*.jpg", "*.jpeg"]
    var exclude: [String] = []

    // [output]
    /// Name of the folder created beside each image for its outputs (no leading dot, no slash).
    var outputFolder: String = "matssl"
    var writeOverlay: Bool = true
    var writeResultsCSV: Bool = true

    // [segmentation]
    /// "otsu" (classical two-class baseline) or "model" (MatSSL-Lite int8, when available).
    var engine: String = "otsu"
    /// Path of the model file for engine = "model".
    var model: String = ""
    /// Compute threads for segmentation.
    var threads: Int = 2

    // [image]
    /// Pixel size in micrometres used when the file carries none (0 = unknown, never guessed).
    var pixelSizeMicrometres: Double = 0

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
