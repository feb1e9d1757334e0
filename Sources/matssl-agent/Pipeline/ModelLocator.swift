import Foundation

/// Finds an int8 model file from a path or a name.
///
/// A value containing "/" or ending in `.safetensors` is a path. A bare name `N` (default
/// `metaldam`) is looked up as `N.int8.safetensors` in, in order: `$MATSSL_MODEL_DIR`, the refresh
/// directory `<state>/models/N/current` link target, `/usr/local/share/matssl-agent/models`,
/// `/usr/share/matssl-agent/models`, and the `models/` folder of the source tree the executable was
/// built in (so a fresh clone's `.build/release/matssl-agent` finds the shipped model).
enum ModelLocator {
    static let defaultName = "metaldam"

    struct NotFound: Error, CustomStringConvertible {
        var name: String
        var searched: [String]
        var description: String {
            "model '\(name)' not found; looked for: \(searched.joined(separator: ", ")). "
                + "Pass a model file path, or install the models (deploy/install.sh)."
        }
    }

    /// Candidate locations for `name`, in search order.
    static func candidates(for name: String, stateDirectory: String?) -> [String] {
        let file = "\(name).int8.safetensors"
        var out: [String] = []
        if let env = ProcessInfo.processInfo.environment["MATSSL_MODEL_DIR"], !env.isEmpty {
            out.append((env as NSString).appendingPathComponent(file))
        }
        if let state = stateDirectory {
            out.append((state as NSString).appendingPathComponent("models/\(name)/current"))
        }
        var dirs = ["/usr/local/share/matssl-agent/models", "/usr/share/matssl-agent/models"]
        if let tree = sourceTreeModels() { dirs.append(tree) }
        out += dirs.map { ($0 as NSString).appendingPathComponent(file) }
        return out
    }

    /// Resolves a path or a name to an existing file.
    static func resolve(_ value: String?, stateDirectory: String? = nil) throws -> String {
        let v = value.flatMap { $0.isEmpty ? nil : $0 } ?? defaultName
        if v.contains("/") || v.hasSuffix(".safetensors") {
            guard FileManager.default.fileExists(atPath: v) else { throw NotFound(name: v, searched: [v]) }
            return v
        }
        let c = candidates(for: v, stateDirectory: stateDirectory)
        for path in c where FileManager.default.fileExists(atPath: path) { return path }
        throw NotFound(name: v, searched: c)
    }

    /// `<tree>/models` when the executable lives in `<tree>/.build/<config>/`.
    static func sourceTreeModels() -> String? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        var url = URL(fileURLWithPath: exe).deletingLastPathComponent()
        for _ in 0..<4 {
            let models = url.appendingPathComponent("models")
            if FileManager.default.fileExists(atPath: models.appendingPathComponent("README.md").path) { return models.path }
            url.deleteLastPathComponent()
        }
        return nil
    }
}
