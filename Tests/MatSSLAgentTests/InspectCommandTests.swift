import Foundation
import Testing

/// Runs the built `matssl-agent inspect` as a process: JSON lines, exit status, never a signal.
@Suite("matssl-agent inspect")
struct InspectCommandTests {
    static let root: String = {
        var p = Substring("\(#filePath)")
        for _ in 0..<3 { p = p[..<p.lastIndex(of: "/")!] }
        return String(p)
    }()
    static let fixtures = "\(root)/Tests/MatSSLLiteTests/Fixtures/images"

    /// The executable next to the test bundle (`.build/<triple>/debug/`), else `.build/debug/`.
    static let binary: String? = {
        let candidates = [Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("matssl-agent").path,
                          Bundle.main.bundleURL.appendingPathComponent("matssl-agent").path,
                          "\(root)/.build/debug/matssl-agent"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    struct Run { var lines: [[String: Any]]; var status: Int32; var reason: Process.TerminationReason }

    static func run(_ args: [String]) throws -> Run {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try #require(binary, "matssl-agent binary not built"))
        p.arguments = ["inspect"] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? ["unparsable": String(line)]
        }
        return Run(lines: lines, status: p.terminationStatus, reason: p.terminationReason)
    }

    @Test func goodFilesGiveOneJSONObjectEachAndExitZero() throws {
        let files = ["gray16-tiled-lzw.tif", "res-cm.tif", "rgb-progressive.jpg", "palette8.png", "fei-databar.tif"].map { "\(Self.fixtures)/\($0)" }
        let r = try Self.run(files)
        #expect(r.reason == .exit && r.status == 0)
        #expect(r.lines.count == 5)
        #expect(r.lines[4]["data_bar_rows"] as? Int == 4 && r.lines[0]["data_bar_rows"] == nil)
        #expect(r.lines[0]["format"] as? String == "tiff" && r.lines[0]["bit_depth"] as? Int == 16)
        #expect(r.lines[0]["width"] as? Int == 40 && r.lines[0]["height"] as? Int == 24 && r.lines[0]["pages"] as? Int == 1)
        #expect(r.lines[0]["pixel_size_um"] is NSNull && r.lines[0]["pixel_size_source"] as? String == "none")
        #expect(r.lines[1]["pixel_size_um"] as? Double == 0.5 && r.lines[1]["pixel_size_source"] as? String == "tiff-resolution")
        #expect(r.lines[2]["format"] as? String == "jpeg" && r.lines[2]["channels"] as? Int == 3)
        for (line, file) in zip(r.lines, files) { #expect(line["path"] as? String == file) }
    }

    @Test func intensityRangeIsReportedAndCanBeSet() throws {
        let file = "\(Self.fixtures)/gray12-in16.tif"
        let auto = try Self.run([file]).lines[0]
        #expect(auto["sample_format"] as? String == "uint" && auto["bit_depth"] as? Int == 16)
        #expect(auto["intensity_low"] as? Double == 0 && auto["intensity_high"] as? Double == 4095)
        #expect(auto["intensity_source"] as? String == "data-maximum")
        // Header only: a deep image's range depends on its pixels, so it is not claimed.
        let header = try Self.run(["--header-only", file]).lines[0]
        #expect(header["intensity_source"] == nil && header["sample_format"] as? String == "uint")
        let set = try Self.run(["--intensity-range", "0:1023", file]).lines[0]
        #expect(set["intensity_high"] as? Double == 1023 && set["intensity_source"] as? String == "config")
        let float = try Self.run(["\(Self.fixtures)/float64-negative.tif"]).lines[0]
        #expect(float["sample_format"] as? String == "float" && float["intensity_source"] as? String == "data-min-max")
    }

    @Test func everyBadFixtureIsReportedAndTheRunExitsOne() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.fixtures).filter { $0.hasPrefix("bad-") }.sorted()
        #expect(names.count >= 12)
        for name in names {
            let r = try Self.run(["\(Self.fixtures)/\(name)"])
            #expect(r.reason == .exit, "\(name) killed by a signal")
            #expect(r.lines.count == 1, "\(name)")
            if name == "bad-jpeg-named.png" {
                #expect(r.status == 0 && (r.lines[0]["note"] as? String)?.contains("JPEG") == true)
            } else {
                #expect(r.status == 1, "\(name)")
                #expect((r.lines[0]["error"] as? String)?.contains(name) == true, "\(name): \(r.lines[0])")
            }
        }
    }

    @Test func mixedRunPrintsAllLinesThenFails() throws {
        let r = try Self.run(["\(Self.fixtures)/bad-zero-bytes.png", "\(Self.fixtures)/gray8.png", "/nonexistent/x.tif"])
        #expect(r.reason == .exit && r.status == 1)
        #expect(r.lines.count == 3)
        #expect(r.lines[0]["error"] != nil && r.lines[1]["width"] as? Int == 40 && r.lines[2]["error"] != nil)
    }
}
