import Foundation
import MatSSLLite
@testable import matssl_agent

/// Shared helpers for the daemon's tests (temp folders, small PNGs, the package root).
enum DaemonTestSupport {
    /// The package root, from this file's path.
    static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func tempDirectory(_ tag: String) -> String {
        let path = NSTemporaryDirectory() + "matssl-\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A W×H gray image: a bright disc (value ~0.8) on a dark background (~0.2), `seed` shifting it,
    /// so Otsu has two clear classes and each seed gives different content.
    static func testImage(width: Int = 64, height: Int = 48, seed: Int = 0) -> GrayImage {
        var pixels = [Float](repeating: 0.2, count: width * height)
        let cx = Double(width) / 2 + Double(seed % 7) - 3, cy = Double(height) / 2 + Double((seed / 7) % 5) - 2
        let r = Double(min(width, height)) / 4 + Double(seed % 3)
        for y in 0..<height {
            for x in 0..<width {
                let d = ((Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)).squareRoot()
                if d < r { pixels[y * width + x] = 0.8 }
                pixels[y * width + x] += Float((x * 31 + y * 17 + seed * 13) % 5) / 255
            }
        }
        return GrayImage(width: width, height: height, pixels: pixels)
    }

    /// PNG bytes of `testImage(seed:)` (written through a temp file by MatSSLLite's PNG writer).
    static func pngBytes(seed: Int, width: Int = 64, height: Int = 48) throws -> Data {
        let dir = tempDirectory("png")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/x.png"
        try PNGWriter.writeGray8(testImage(width: width, height: height, seed: seed), to: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func write(_ data: Data, to path: String) {
        let ok = FileManager.default.createFile(atPath: path, contents: data)
        precondition(ok, "cannot write test file \(path)")
    }

    /// Polls `condition` every 50 ms until it holds or `timeout` seconds pass.
    static func waitUntil(timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date(timeIntervalSinceNow: timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(50_000)
        }
        return condition()
    }
}
