import Glibc

/// Walks a directory tree with `opendir`/`readdir` (no symlinks followed), reporting accepted
/// directories and accepted regular files. Unreadable directories are skipped, never fatal.
public struct TreeScanner: Sendable {
    public var filter: PathFilter

    public init(filter: PathFilter) { self.filter = filter }

    /// Walks `directory` (itself accepted) under `root`; `onDirectory` is called for it and every
    /// accepted subdirectory before its entries are listed, `onFile` for each accepted file.
    public func walk(root: String, directory: String, onDirectory: (String) -> Void, onFile: (String) -> Void) {
        var stack = [directory]
        while let dir = stack.popLast() {
            onDirectory(dir)
            guard let handle = opendir(dir) else { continue }
            defer { closedir(handle) }
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
                }
                if name == "." || name == ".." { continue }
                let path = Self.join(dir, name)
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    var st = stat()
                    guard lstat(path, &st) == 0 else { continue }
                    switch st.st_mode & S_IFMT {
                    case S_IFDIR: type = UInt8(DT_DIR)
                    case S_IFREG: type = UInt8(DT_REG)
                    default: continue
                    }
                }
                let relative = Self.relative(path, to: root)
                if type == UInt8(DT_DIR) {
                    if filter.acceptsDirectory(name: name, relativePath: relative) { stack.append(path) }
                } else if type == UInt8(DT_REG) {
                    if filter.acceptsFile(name: name, relativePath: relative) { onFile(path) }
                }
            }
        }
    }

    /// Joins a directory and a name with exactly one slash.
    public static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    /// `path` relative to `root` (no leading slash); `path` itself when it is not under `root`.
    public static func relative(_ path: String, to root: String) -> String {
        let base = root.hasSuffix("/") ? root : root + "/"
        return path.hasPrefix(base) ? String(path.dropFirst(base.count)) : path
    }
}
