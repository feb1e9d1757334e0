import CInotifyTools
import Glibc

/// What kind of filesystem holds a path, from `statfs(2)`'s magic number. inotify only sees changes
/// made through this kernel: on network and FUSE client mounts another machine's writes are invisible,
/// so those need the polling backend.
public enum FilesystemKind: Sendable, Equatable, CustomStringConvertible {
    case local(magic: UInt64)
    case network(name: String, magic: UInt64)

    /// Magic numbers of filesystems whose remote writes inotify cannot see (linux/magic.h).
    static let remoteMagics: [UInt64: String] = [
        0x6969: "nfs",
        0x517B: "smb",
        0xFF53_4D42: "cifs",
        0xFE53_4D42: "smb2",
        0x6573_5546: "fuse",
        0x00C3_6400: "ceph",
        0x0102_1997: "9p",
        0x5346_414F: "afs",
        0x7375_7245: "coda",
        0x0BD0_0BD0: "lustre",
        0x4750_4653: "gpfs",
    ]

    /// Classifies a magic number.
    public static func classify(magic: UInt64) -> FilesystemKind {
        if let name = remoteMagics[magic] { return .network(name: name, magic: magic) }
        return .local(magic: magic)
    }

    /// The kind of filesystem holding `path`, or nil when `statfs` fails (path missing, no access).
    public static func detect(path: String) -> FilesystemKind? {
        var info = statfs()
        guard statfs(path, &info) == 0 else { return nil }
        return classify(magic: UInt64(UInt(bitPattern: Int(info.f_type)) & 0xFFFF_FFFF))
    }

    /// Whether inotify can be trusted here.
    public var isNetwork: Bool {
        if case .network = self { return true }
        return false
    }

    public var description: String {
        switch self {
        case .local(let magic): return "local filesystem (magic 0x\(String(magic, radix: 16)))"
        case .network(let name, let magic): return "\(name) network/FUSE filesystem (magic 0x\(String(magic, radix: 16)))"
        }
    }
}
