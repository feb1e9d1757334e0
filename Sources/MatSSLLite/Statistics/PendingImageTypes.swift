// TEMPORARY: stand-ins mirroring the API of types the codecs helper defines in
// `Sources/MatSSLLite/Image/` (branch `codecs`). Delete this file when `git merge main` brings
// the real `RGBImage`, `RGB8`, `PixelSize`, `PixelSizeSource`, `LabelMask` and `AtomicFileWriter`.
#if canImport(Glibc)
import Glibc
#endif

public struct RGB8: Equatable, Hashable, Codable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(r: UInt8, g: UInt8, b: UInt8) { self.r = r; self.g = g; self.b = b }
}

public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && pixels.count == width * height * 3)
        self.width = width; self.height = height; self.pixels = pixels
    }
}

public enum PixelSizeSource: String, Codable, Sendable {
    case tiffResolution = "tiff-resolution"
    case pngPhys = "png-phys"
    case feiMetadata = "fei-tag-34682"
    case zeissMetadata = "zeiss-tag-34118"
    case config
    case none
}

public struct PixelSize: Codable, Equatable, Sendable {
    public var micrometresPerPixel: Double
    public var source: PixelSizeSource
    public init(micrometresPerPixel: Double, source: PixelSizeSource) {
        self.micrometresPerPixel = micrometresPerPixel; self.source = source
    }
}

public struct LabelMask: Equatable, Sendable {
    public var width: Int
    public var height: Int
    public var labels: [UInt8]
    public init(width: Int, height: Int, labels: [UInt8]) {
        precondition(width >= 0 && height >= 0 && labels.count == width * height)
        self.width = width; self.height = height; self.labels = labels
    }
}

public enum AtomicFileWriter {
    struct Failed: Error { var path: String; var reason: String }

    public static func write(text: String, to path: String) throws {
        let slash = path.lastIndex(of: "/")
        let dir = slash.map { String(path[..<$0]) } ?? "."
        let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
        let tmp = "\(dir)/.\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let bytes = Array(text.utf8)
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failed(path: path, reason: "create") }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 { if errno == EINTR { continue }; close(fd); unlink(tmp); throw Failed(path: path, reason: "write") }
            off += n
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, rename(tmp, path) == 0 else { unlink(tmp); throw Failed(path: path, reason: "fsync/rename") }
    }
}
