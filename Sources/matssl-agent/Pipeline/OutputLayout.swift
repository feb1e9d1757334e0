import Foundation

/// Which folder receives the outputs of the images in a watched folder.
///
/// By default a `folder`-named subfolder beside the images (`<image folder>/matssl/`). With
/// `output.root` set, a mirror tree instead, so the instrument's folders are never written to:
/// `<root>/<last component of the watch root>/<path below the watch root>/` — e.g. with roots
/// `/srv/sem` and `/mnt/optical`, outputs of `/srv/sem/2026/a.tif` go to
/// `/srv/results/sem/2026/a.tif.mask.png`. `ConfigLoader.validate` refuses watch roots whose last
/// components coincide, and output roots inside a watched tree (or around one).
struct OutputLayout: Equatable, Sendable {
    /// Name of the subfolder beside the images (default layout).
    var folderName: String
    /// Absolute mirror root; empty = beside the images.
    var root: String
    /// The watch roots (absolute), to place each image folder in the mirror.
    var watchRoots: [String]

    init(folderName: String, root: String = "", watchRoots: [String] = []) {
        self.folderName = folderName
        self.root = root
        self.watchRoots = watchRoots
    }

    init(config: AgentConfig) {
        self.init(folderName: config.outputFolder, root: config.outputRoot, watchRoots: config.roots)
    }

    var mirrors: Bool { !root.isEmpty }

    /// The output folder for images in `folder`. In the mirror, a folder outside every watch root
    /// (a root removed since its images were journaled) goes below `<root>/_unrooted/` with its full path.
    func directory(forImageFolder folder: String) -> String {
        guard mirrors else { return (folder as NSString).appendingPathComponent(folderName) }
        let f = Self.normalized(folder)
        let containing = watchRoots.map(Self.normalized)
            .filter { f == $0 || f.hasPrefix($0 == "/" ? "/" : $0 + "/") }
            .max { $0.count < $1.count }
        guard let r = containing else {
            return Self.join(root, "_unrooted", String(f.drop(while: { $0 == "/" })))
        }
        let below = f.dropFirst(r.count).drop(while: { $0 == "/" })
        return Self.join(root, Self.label(r), String(below))
    }

    /// A human description for `check-config`.
    var description: String {
        mirrors ? "\(root)/<watch root name>/<subfolders>/ (mirror; the watched folders are not written to)"
                : "<image folder>/\(folderName)/"
    }

    /// The mirror's top folder for a watch root: its last path component ("root" for "/").
    static func label(_ watchRoot: String) -> String {
        let name = (normalized(watchRoot) as NSString).lastPathComponent
        return name.isEmpty || name == "/" ? "root" : name
    }

    /// Problems with a mirror root for these watch roots (empty when fine or when `root` is empty).
    static func problems(root: String, watchRoots: [String]) -> [String] {
        guard !root.isEmpty else { return [] }
        guard root.hasPrefix("/") else { return ["'output.root' must be an absolute path, got '\(root)'"] }
        var problems: [String] = []
        let r = normalized(root)
        for w in watchRoots.map(normalized) {
            if r == w || r.hasPrefix(w == "/" ? "/" : w + "/") {
                problems.append("'output.root' '\(root)' lies inside the watched tree '\(w)': the agent would watch its own outputs")
            } else if w.hasPrefix(r == "/" ? "/" : r + "/") {
                problems.append("watch root '\(w)' lies inside 'output.root' '\(root)'")
            }
        }
        var seen: [String: String] = [:]
        for w in watchRoots {
            let l = label(w)
            if let other = seen[l], normalized(other) != normalized(w) {
                problems.append("watch roots '\(other)' and '\(w)' would share the output folder '\(join(root, l))'; rename one or leave 'output.root' empty")
            }
            seen[l] = w
        }
        return problems
    }

    /// `path` without "." / ".." components and trailing slashes (no symlink resolution).
    static func normalized(_ path: String) -> String {
        let s = (path as NSString).standardizingPath
        return s.isEmpty ? path : s
    }

    private static func join(_ parts: String...) -> String {
        parts.filter { !$0.isEmpty }.reduce("") { ($0 as NSString).appendingPathComponent($1) }
    }
}
