import Glibc

/// Identity and state of a regular file as `stat(2)` reports it: equal signatures over a settle time
/// mean nobody is writing. Nanosecond mtime.
public struct FileSignature: Sendable, Hashable, CustomStringConvertible {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    /// Modification time in nanoseconds since the epoch.
    public var mtimeNanos: Int64

    public init(device: UInt64, inode: UInt64, size: Int64, mtimeNanos: Int64) {
        self.device = device
        self.inode = inode
        self.size = size
        self.mtimeNanos = mtimeNanos
    }

    /// The signature of a regular file (symlinks are not followed), or nil for anything else or on error.
    public static func of(path: String) -> FileSignature? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
        return FileSignature(
            device: UInt64(st.st_dev), inode: UInt64(st.st_ino), size: Int64(st.st_size),
            mtimeNanos: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    public var description: String { "dev=\(device) ino=\(inode) size=\(size) mtime_ns=\(mtimeNanos)" }
}
