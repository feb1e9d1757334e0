import Foundation
@testable import MatSSLLite

/// Synthetic masks for the statistics tests.
enum SyntheticMask {
    /// A `width×height` mask of `background` with filled discs (centre, radius, class).
    static func discs(width: Int, height: Int, background: UInt8 = 0,
                      _ discs: [(cx: Double, cy: Double, r: Double, cls: UInt8)]) -> LabelMask {
        var l = [UInt8](repeating: background, count: width * height)
        for d in discs {
            for y in 0..<height {
                for x in 0..<width {
                    let dx = Double(x) - d.cx, dy = Double(y) - d.cy
                    if dx * dx + dy * dy <= d.r * d.r { l[y * width + x] = d.cls }
                }
            }
        }
        return LabelMask(width: width, height: height, labels: l)
    }

    /// Square grains of side `period` separated by 1-pixel boundary lines (class `boundary`) on
    /// rows and columns that are multiples of `period`.
    static func grid(size: Int, period: Int, boundary: UInt8 = 1) -> LabelMask {
        var l = [UInt8](repeating: 0, count: size * size)
        for y in 0..<size { for x in 0..<size where x % period == 0 || y % period == 0 { l[y * size + x] = boundary } }
        return LabelMask(width: size, height: size, labels: l)
    }
}

/// Runs python3 with a script and stdin; nil when python3 is not installed.
func runPython(_ script: String, stdin: Data) throws -> (status: Int32, out: String, err: String)? {
    let candidates = ["/usr/bin/python3", "/usr/local/bin/python3"] +
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/python3" }
    guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = ["-c", script]
    let inP = Pipe(), outP = Pipe(), errP = Pipe()
    p.standardInput = inP; p.standardOutput = outP; p.standardError = errP
    try p.run()
    inP.fileHandleForWriting.write(stdin)
    try inP.fileHandleForWriting.close()
    let out = outP.fileHandleForReading.readDataToEndOfFile()
    let err = errP.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
}
