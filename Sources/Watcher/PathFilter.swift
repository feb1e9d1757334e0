import Glibc

/// Decides which names under a watched root are candidate images and which directories are walked.
/// Pure pattern matching (no policy about processing): hidden names, temporary-file suffixes, the
/// agent's own output folder, and include/exclude shell globs (`fnmatch`, case-insensitive).
public struct PathFilter: Sendable, Equatable {
    /// Globs a file name must match (any); empty means every name.
    public var include: [String]
    /// Globs that reject a file name or a path relative to the root (any match rejects).
    public var exclude: [String]
    /// Directory names never entered (the agent's output folder among them).
    public var skippedDirectoryNames: Set<String>

    /// Suffixes of files that are still being written by common tools (browsers, rsync, editors, Samba).
    public static let temporarySuffixes = [".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", "~", ".filepart", ".!sync"]

    public init(include: [String] = [], exclude: [String] = [], skippedDirectoryNames: Set<String> = []) {
        self.include = include
        self.exclude = exclude
        self.skippedDirectoryNames = skippedDirectoryNames
    }

    /// Whether a directory with this name (and root-relative path) is walked and watched.
    public func acceptsDirectory(name: String, relativePath: String) -> Bool {
        if name.hasPrefix(".") || skippedDirectoryNames.contains(name) { return false }
        return !exclude.contains { Self.matches($0, relativePath) || Self.matches($0, name) }
    }

    /// Whether a regular file with this name (and root-relative path) is a candidate image.
    public func acceptsFile(name: String, relativePath: String) -> Bool {
        if name.isEmpty || name.hasPrefix(".") { return false }
        let lower = name.lowercased()
        if Self.temporarySuffixes.contains(where: { lower.hasSuffix($0) }) { return false }
        if exclude.contains(where: { Self.matches($0, relativePath) || Self.matches($0, name) }) { return false }
        return include.isEmpty || include.contains { Self.matches($0, name) }
    }

    /// GNU `FNM_CASEFOLD` (1 << 4; glibc defines it only under _GNU_SOURCE, which Swift does not see).
    static let fnmCaseFold: Int32 = 1 << 4

    /// Case-insensitive shell glob match (`*`, `?`, `[...]`); `*` does not cross `/` in paths.
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        fnmatch(pattern, text, fnmCaseFold | FNM_PATHNAME) == 0
    }
}
