import Foundation
import Testing
@testable import MatSSLLite

@Suite struct FolderReportTests {
    func entries() throws -> [FolderReport.Entry] {
        let names = ["matrix", "ferrite <α> & \"co\""]
        var out: [FolderReport.Entry] = []
        for (i, r) in [6.0, 9.0, 12.0].enumerated() {
            let m = SyntheticMask.discs(width: 64, height: 64, [(20, 20, r, 1), (45, 45, r / 2, 1)])
            let s = try PhaseStatistics.compute(
                mask: m, classNames: names, pixelSize: PixelSize(micrometresPerPixel: 0.5, source: .config),
                options: StatisticsOptions(histogramUpperEdge: 20, skipObjectClasses: ["matrix"]),
                provenance: ImageProvenance(image: "field #\(i) <x>.tif"))
            out.append(.init(statistics: s, thumbnailPath: "thumbs/field #\(i).png",
                             overlayPath: "field #\(i).overlay.png", statsPath: "field #\(i).stats.json"))
        }
        return out
    }

    func html() throws -> String {
        let e = try entries()
        return FolderReport.renderHTML(title: "Series <A&B>", entries: e,
                                       aggregate: SeriesAggregate(images: e.map(\.statistics)),
                                       generated: Date(timeIntervalSince1970: 0))
    }

    @Test func pageIsSelfContainedAndEscaped() throws {
        let h = try html()
        #expect(h.hasPrefix("<!DOCTYPE html>"))
        #expect(h.contains("<title>Series &lt;A&amp;B&gt;</title>"))
        #expect(h.contains("ferrite &lt;α&gt; &amp; &quot;co&quot;"))
        #expect(!h.contains("<α>"))
        #expect(h.contains("src=\"thumbs/field%20%230.png\""))
        #expect(h.contains("href=\"field%20%231.overlay.png\""))
        #expect(h.contains("<table id=\"aggregate\">") && h.contains("Area fraction (%)"))
        #expect(h.contains("<svg"))
        // No external assets or scripts.
        #expect(!h.contains("http://") || !h.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("http://"))
        #expect(!h.contains("https://") && !h.contains("<script") && !h.contains("<link"))
        if let path = ProcessInfo.processInfo.environment["MATSSL_REPORT_SAMPLE"] {
            try FolderReport.write(h, to: URL(fileURLWithPath: path))   // for looking at it
        }
    }

    @Test func fieldsFromDifferentModelsAreFlaggedAboveTheSummary() throws {
        var e = try entries()
        let same = FolderReport.renderHTML(title: "t", entries: e, aggregate: SeriesAggregate(images: e.map(\.statistics)))
        #expect(!same.contains("mixed-models"))
        e[0].statistics.provenance.modelName = "metaldam"
        e[0].statistics.provenance.modelVersion = "20261127-053228"
        e[1].statistics.provenance.modelName = "metaldam <new>"
        e[1].statistics.provenance.modelVersion = "20261128-020000"
        let mixed = FolderReport.renderHTML(title: "t", entries: e, aggregate: SeriesAggregate(images: e.map(\.statistics)))
        #expect(mixed.contains("id=\"mixed-models\">These fields were segmented by 3 different models"))
        #expect(mixed.contains("metaldam &lt;new&gt; 20261128-020000 (1)") && mixed.contains("matssl-agent reprocess"))
        #expect(mixed.range(of: "mixed-models")!.lowerBound < mixed.range(of: "Series summary")!.lowerBound)
    }

    @Test func tagsAreBalancedForPythonsHTMLParser() throws {
        let script = """
        import sys
        from html.parser import HTMLParser
        VOID = {'meta','img','br','hr','input','link','area','base','col','embed','source','track','wbr'}
        class P(HTMLParser):
            def __init__(self):
                super().__init__(); self.stack = []; self.errors = []
            def handle_starttag(self, t, a):
                if t not in VOID: self.stack.append(t)
            def handle_startendtag(self, t, a): pass
            def handle_endtag(self, t):
                if not self.stack or self.stack[-1] != t: self.errors.append('unexpected </%s> with open %s' % (t, self.stack[-3:]))
                else: self.stack.pop()
        p = P(); p.feed(sys.stdin.read()); p.close()
        if p.stack: p.errors.append('unclosed %s' % p.stack)
        print('\\n'.join(p.errors)); sys.exit(1 if p.errors else 0)
        """
        guard let r = try runPython(script, stdin: Data(try html().utf8)) else {
            print("FolderReportTests: python3 not found, skipping the tag-balance check")
            return
        }
        #expect(r.status == 0, "\(r.out) \(r.err)")
    }

    @Test func writeIsAtomicAndLeavesNoTempFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("matssl-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("index.html")
        try FolderReport.write("old", to: url)
        try FolderReport.write(try html(), to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == (try html()))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["index.html"])
        #expect(throws: (any Error).self) {
            try FolderReport.write("x", to: dir.appendingPathComponent("missing/index.html"))
        }
    }

    /// Renders the page in headless Chromium when one is installed (scripts/install-deps installs it under CI).
    @Test func rendersInHeadlessChromiumWithoutConsoleErrors() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let exe = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"].lazy
            .flatMap { n in path.split(separator: ":").map { "\($0)/\(n)" } }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let exe else {
            print("FolderReportTests: no chromium on PATH, skipping the headless rendering check")
            return
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("matssl-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("index.html")
        try FolderReport.write(try html(), to: url)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
                       "--user-data-dir=\(dir.path)/profile", "--dump-dom", url.absoluteString]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let deadline = Date().addingTimeInterval(90)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if p.isRunning { p.terminate() }
        let dom = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(dom.contains("aggregate"), "chromium produced no DOM: \(log.suffix(500))")
        let console = log.split(separator: "\n").filter { $0.contains("CONSOLE") }
        #expect(console.isEmpty, "console messages: \(console)")
    }
}

@Suite struct ThumbnailTests {
    @Test func downscaleAveragesBoxesAndKeepsAspect() {
        // 4×2 image: left half black, right half white → 2×1 thumbnail of black and white.
        var px = [UInt8](repeating: 0, count: 4 * 2 * 3)
        for y in 0..<2 { for x in 2..<4 { for c in 0..<3 { px[(y * 4 + x) * 3 + c] = 255 } } }
        let t = Thumbnail.downscale(RGBImage(width: 4, height: 2, pixels: px), maxSide: 2)
        #expect(t.width == 2 && t.height == 1)
        #expect(t.pixels == [0, 0, 0, 255, 255, 255])
        // A 2×2 box of 0, 100, 200, 255 averages to 139 (rounded).
        let q = RGBImage(width: 2, height: 2, pixels: [0, 0, 0, 100, 100, 100, 200, 200, 200, 255, 255, 255])
        #expect(Thumbnail.downscale(q, maxSide: 1).pixels == [139, 139, 139])
        // Never upscales.
        #expect(Thumbnail.downscale(q, maxSide: 10) == q)
        let big = RGBImage(width: 1000, height: 300, pixels: [UInt8](repeating: 9, count: 900_000))
        let tb = Thumbnail.downscale(big, maxSide: 160)
        #expect(tb.width == 160 && tb.height == 48 && tb.pixels.allSatisfy { $0 == 9 })
    }
}
