import Testing
@testable import MatSSLLite
#if canImport(Glibc)
import Glibc
#endif

/// Damaged copies of every valid fixture (cut at many lengths, bytes flipped) must decode or throw
/// an ImageError naming the file — never crash, never hang.
@Suite("Damaged files never crash")
struct ImageRobustnessTests {
    static let sources = ["gray8-lzw.tif", "gray16-tiled-lzw.tif", "palette8.tif", "rgb8-tiled-none.tif", "multipage3.tif",
                          "fei-34682.tif", "gray8-interlaced.png", "palette4.png", "rgb16.png", "gray1.png",
                          "rgb-progressive.jpg", "gray-baseline.jpg"]

    static func bytes(_ path: String) -> [UInt8] {
        let fd = open(path, O_RDONLY); defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; out += buf[0..<n] }
        return out
    }

    @Test(arguments: sources)
    func truncatedAndBitFlippedCopiesFailCleanly(name: String) throws {
        let data = Self.bytes(Fixture.path(name))
        let dir = makeTempDirectory()
        var rng = SplitMix64(seed: UInt64(name.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        let rounds = Int(String(cString: getenv("MATSSL_FUZZ_ROUNDS") ?? strdup("24"))) ?? 24
        var variants: [[UInt8]] = []
        for k in 1..<16 { variants.append(Array(data.prefix(data.count * k / 16))) }
        for _ in 0..<rounds {
            var d = data
            for _ in 0..<3 { let i = Int.random(in: 0..<d.count, using: &rng); d[i] ^= UInt8.random(in: 1...255, using: &rng) }
            variants.append(d)
        }
        let ext = String(name[name.lastIndex(of: ".")!...])
        for (i, v) in variants.enumerated() {
            let path = "\(dir)/v\(i)\(ext)"
            try AtomicFileWriter.write(v, to: path)
            do {
                let (image, info) = try ImageDecoder.decode(path: path)
                #expect(image.pixels.count == info.width * info.height)
                #expect(image.pixels.allSatisfy { $0 >= 0 && $0 <= 1 })
            } catch let e as ImageError {
                #expect(e.path == path)
            }
            _ = try? MaskCodec.read(path: path)
            unlink(path)
        }
    }
}

/// Deterministic generator so a failure reproduces (set MATSSL_FUZZ_ROUNDS for a longer run).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
