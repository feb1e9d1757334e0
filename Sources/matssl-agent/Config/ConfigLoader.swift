import Foundation
import MatSSLLite
import TOMLKit
import Watcher

/// A configuration problem, naming the file and the key.
struct ConfigError: Error, CustomStringConvertible, Equatable {
    var file: String
    var problems: [String]
    var description: String {
        "configuration '\(file)': " + problems.joined(separator: "; ")
    }
}

/// Parses and validates the TOML configuration. Unknown sections or keys are errors (a typo must not
/// silently fall back to a default).
enum ConfigLoader {
    static let defaultPath = "/etc/matssl-agent/matssl-agent.toml"

    /// Known keys per section.
    static let schema: [String: Set<String>] = [
        "watch": ["roots", "backend", "poll_interval", "rescan_interval", "settle_time", "include", "exclude"],
        "output": ["folder", "root", "overlay", "results_csv"],
        "segmentation": ["engine", "model", "threads", "tta", "tile_megapixels"],
        "statistics": ["grain_classes", "data_bar_rows", "objects_csv", "csv_separator", "html_report"],
        "image": ["pixel_size_um", "intensity_range"],
        "limits": ["max_file_mb", "max_pixels"],
        "state": ["dir"],
        "service": ["status_interval"],
        // Read by `matssl-agent refresh` (RefreshConfig), validated there; the daemon only accepts it.
        "refresh": RefreshConfig.keys,
    ]

    static func load(path: String) throws -> AgentConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(file: path, problems: ["cannot read: \(error.localizedDescription)"])
        }
        return try parse(text, file: path)
    }

    static func parse(_ text: String, file: String) throws -> AgentConfig {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw ConfigError(file: file, problems: ["TOML syntax: \(error.debugDescription)"])
        }
        var config = AgentConfig()
        var problems: [String] = []

        for key in table.keys where schema[key] == nil {
            problems.append("unknown section or key '\(key)' (sections: \(schema.keys.sorted().joined(separator: ", ")))")
        }
        func section(_ name: String) -> TOMLTable? {
            guard let value = table[name] else { return nil }
            guard let t = value.table else { problems.append("'\(name)' must be a table [\(name)]"); return nil }
            for key in t.keys where !(schema[name]!.contains(key)) {
                problems.append("unknown key '\(name).\(key)' (known: \(schema[name]!.sorted().joined(separator: ", ")))")
            }
            return t
        }
        func string(_ t: TOMLTable?, _ s: String, _ k: String, _ apply: (String) -> Void) {
            guard let v = t?[k] else { return }
            if let x = v.string { apply(x) } else { problems.append("'\(s).\(k)' must be a string") }
        }
        func number(_ t: TOMLTable?, _ s: String, _ k: String, min: Double, _ apply: (Double) -> Void) {
            guard let v = t?[k] else { return }
            let x = v.double ?? v.int.map(Double.init)
            guard let x else { problems.append("'\(s).\(k)' must be a number"); return }
            if x < min { problems.append("'\(s).\(k)' must be ≥ \(min), got \(x)") } else { apply(x) }
        }
        func integer(_ t: TOMLTable?, _ s: String, _ k: String, min: Int, _ apply: (Int) -> Void) {
            guard let v = t?[k] else { return }
            guard let x = v.int else { problems.append("'\(s).\(k)' must be an integer"); return }
            if x < min { problems.append("'\(s).\(k)' must be ≥ \(min), got \(x)") } else { apply(x) }
        }
        func bool(_ t: TOMLTable?, _ s: String, _ k: String, _ apply: (Bool) -> Void) {
            guard let v = t?[k] else { return }
            if let x = v.bool { apply(x) } else { problems.append("'\(s).\(k)' must be true or false") }
        }
        func strings(_ t: TOMLTable?, _ s: String, _ k: String, _ apply: ([String]) -> Void) {
            guard let v = t?[k] else { return }
            guard let array = v.array else { problems.append("'\(s).\(k)' must be an array of strings"); return }
            var out: [String] = []
            for item in array {
                if let x = item.string { out.append(x) } else { problems.append("'\(s).\(k)' must contain only strings") }
            }
            apply(out)
        }

        let watch = section("watch")
        strings(watch, "watch", "roots") { config.roots = $0 }
        string(watch, "watch", "backend") { raw in
            if let b = WatchBackendChoice(rawValue: raw) { config.backend = b } else {
                problems.append("'watch.backend' must be one of auto, inotify, polling; got '\(raw)'")
            }
        }
        number(watch, "watch", "poll_interval", min: 0.05) { config.pollInterval = $0 }
        number(watch, "watch", "rescan_interval", min: 0) { config.rescanInterval = $0 }
        number(watch, "watch", "settle_time", min: 0) { config.settleTime = $0 }
        strings(watch, "watch", "include") { config.include = $0 }
        strings(watch, "watch", "exclude") { config.exclude = $0 }

        let output = section("output")
        string(output, "output", "folder") { config.outputFolder = $0 }
        string(output, "output", "root") { config.outputRoot = $0 }
        bool(output, "output", "overlay") { config.writeOverlay = $0 }
        bool(output, "output", "results_csv") { config.writeResultsCSV = $0 }

        let segmentation = section("segmentation")
        string(segmentation, "segmentation", "engine") { config.engine = $0 }
        string(segmentation, "segmentation", "model") { config.model = $0 }
        integer(segmentation, "segmentation", "threads", min: 1) { config.threads = $0 }
        string(segmentation, "segmentation", "tta") { config.testTimeAugmentation = $0 }
        number(segmentation, "segmentation", "tile_megapixels", min: 0) { config.tileMegapixels = $0 }

        let statistics = section("statistics")
        strings(statistics, "statistics", "grain_classes") { config.grainClasses = $0 }
        integer(statistics, "statistics", "data_bar_rows", min: 0) { config.dataBarRows = $0 }
        bool(statistics, "statistics", "objects_csv") { config.objectsCSV = $0 }
        string(statistics, "statistics", "csv_separator") { raw in
            if let s = CSVSeparator(rawValue: raw) { config.csvSeparator = s } else {
                problems.append("'statistics.csv_separator' must be \",\" or \";\", got '\(raw)'")
            }
        }
        bool(statistics, "statistics", "html_report") { config.htmlReport = $0 }

        let image = section("image")
        number(image, "image", "pixel_size_um", min: 0) { config.pixelSizeMicrometres = $0 }
        string(image, "image", "intensity_range") { raw in
            do { config.intensityRange = try IntensityPolicy(parsing: raw) } catch {
                problems.append("'image.intensity_range': \(error)")
            }
        }

        let limits = section("limits")
        integer(limits, "limits", "max_file_mb", min: 1) { config.maxFileMegabytes = $0 }
        integer(limits, "limits", "max_pixels", min: 1) { config.maxPixels = $0 }

        string(section("state"), "state", "dir") { config.stateDirectory = $0 }
        number(section("service"), "service", "status_interval", min: 0.1) { config.statusInterval = $0 }
        _ = section("refresh")  // values are `matssl-agent refresh`'s (RefreshConfig); key names checked here too

        problems += validate(config)
        if !problems.isEmpty { throw ConfigError(file: file, problems: problems) }
        return config
    }

    /// Checks that do not depend on TOML syntax: values that parse but cannot work.
    static func validate(_ c: AgentConfig) -> [String] {
        var problems: [String] = []
        if c.roots.isEmpty { problems.append("'watch.roots' must name at least one directory") }
        for root in c.roots {
            if !root.hasPrefix("/") { problems.append("watch root '\(root)' must be an absolute path") }
        }
        if c.outputFolder.isEmpty || c.outputFolder.hasPrefix(".") || c.outputFolder.contains("/") || c.outputFolder == ".." {
            problems.append("'output.folder' must be a plain folder name without a leading dot or slash, got '\(c.outputFolder)'")
        }
        problems += OutputLayout.problems(root: c.outputRoot, watchRoots: c.roots)
        if !c.stateDirectory.hasPrefix("/") { problems.append("'state.dir' must be an absolute path") }
        if !SegmenterFactory.engines.contains(c.engine) {
            problems.append("'segmentation.engine' must be \"auto\", \"model\" or \"otsu\", got '\(c.engine)'")
        }
        if TestTimeAugmentation(rawValue: c.testTimeAugmentation) == nil {
            problems.append("'segmentation.tta' must be \"none\", \"flips\" or \"d4\", got '\(c.testTimeAugmentation)'")
        }
        return problems
    }

    /// Checks against the running system (used by `check-config` and at start-up): roots exist, the
    /// state directory is writable, the engine can be built (the model file is loaded and checked).
    static func checkEnvironment(_ c: AgentConfig) -> [String] {
        var notes: [String] = []
        return checkEnvironment(c, notes: &notes)
    }

    /// Why `path` cannot serve as a directory this user writes into (an existing writable directory,
    /// or one it can create in a writable parent), or nil.
    private static func writableDirectoryProblem(_ path: String, _ what: String) -> String? {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
            return !isDir.boolValue || access(path, W_OK) != 0 ? "\(what) '\(path)' is not a writable directory" : nil
        }
        let parent = (path as NSString).deletingLastPathComponent
        return access(parent, W_OK) != 0 ? "\(what) '\(path)' does not exist and '\(parent)' is not writable" : nil
    }

    /// As above; `notes` receives what is worth knowing but not wrong (engine "auto" without a model).
    static func checkEnvironment(_ c: AgentConfig, notes: inout [String]) -> [String] {
        var problems: [String] = []
        let fm = FileManager.default
        for root in c.roots {
            var isDir: ObjCBool = false
            if !fm.fileExists(atPath: root, isDirectory: &isDir) || !isDir.boolValue {
                problems.append("watch root '\(root)' does not exist or is not a directory")
            } else if c.outputRoot.isEmpty && access(root, W_OK) != 0 {
                problems.append("watch root '\(root)' is not writable by this user (outputs go beside the images; set 'output.root' to write them elsewhere)")
            } else if access(root, R_OK | X_OK) != 0 {
                problems.append("watch root '\(root)' is not readable by this user")
            }
        }
        if !c.outputRoot.isEmpty, let p = writableDirectoryProblem(c.outputRoot, "output root") { problems.append(p) }
        if let p = writableDirectoryProblem(c.stateDirectory, "state directory") { problems.append(p) }
        do {
            let built = try SegmenterFactory.build(c)
            notes.append("engine: \(built.description)")
            if let notice = built.notice { notes.append(notice) }
        } catch { problems.append("\(error)") }
        return problems
    }
}
