import Foundation
import Glibc
import MatSSLLite
import Testing
@testable import matssl_agent

/// The built agent with a real int8 model file: engine "auto" finds it by name in
/// `$MATSSL_MODEL_DIR`, every output carries the full phase statistics, the folder gets
/// `results.csv` (with the configured `;` separator) and `index.html`, and SIGHUP loads a replaced
/// model file.
@Suite("End to end: int8 model", .serialized)
struct EndToEndModelTests {
    @Test func theAgentSegmentsWithAnInt8ModelAndReloadsItOnSighup() throws {
        guard let binary = EndToEndSupport.agentBinary() else {
            Issue.record("matssl-agent binary not found beside the tests; build it with `swift build`")
            return
        }
        let base = DaemonTestSupport.tempDirectory("e2e-model")
        defer { try? FileManager.default.removeItem(atPath: base) }
        let root = base + "/watch", state = base + "/state", models = base + "/models"
        for d in [root, state, models] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        let modelPath = models + "/tiny.int8.safetensors"
        try DaemonModelSupport.saveModel(to: modelPath, name: "tiny", version: "1")
        let config = base + "/agent.toml"
        try """
            [watch]
            roots = ["\(root)"]
            settle_time = 0.2
            [segmentation]
            engine = "auto"
            model = "tiny"
            threads = 1
            [statistics]
            objects_csv = true
            csv_separator = ";"
            data_bar_rows = 4
            [image]
            pixel_size_um = 0.2
            [state]
            dir = "\(state)"
            """.write(toFile: config, atomically: true, encoding: .utf8)

        // check-config names the model it found.
        let check = try output(binary, ["check-config", "--config", config], environment: ["MATSSL_MODEL_DIR": models])
        #expect(check.contains("engine: tiny 1 from \(modelPath)"), "check-config said:\n\(check)")

        let agent = try AgentProcess(binary: binary, config: config, logPath: base + "/agent.log",
                                     extraEnvironment: ["MATSSL_MODEL_DIR": models])
        #expect(agent.waitReady(), "no READY=1; log:\n\(agent.log)")
        #expect(agent.log.contains("engine tiny 1 from \(modelPath)"), "log:\n\(agent.log)")

        func stats(_ name: String, timeout: Double = 30) -> ImageStatistics? {
            let path = OutputPaths(image: root + "/" + name, folderName: "matssl").stats
            var result: ImageStatistics?
            _ = DaemonTestSupport.waitUntil(timeout: timeout) {
                result = try? StatisticsFiles.readJSON(path: path)
                return result != nil
            }
            return result
        }
        for (i, name) in ["m1.png", "m2.png"].enumerated() {
            DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 500 + i, width: 96, height: 80), to: root + "/" + name)
        }
        let first = try #require(stats("m1.png"), "no stats; log:\n\(agent.log)")
        #expect(first.provenance.modelName == "tiny" && first.provenance.modelVersion == "1")
        #expect(first.classes.map(\.className) == DaemonModelSupport.classNames)
        #expect(first.pixelSizeUm == 0.2 && first.dataBarRowsCropped == 4 && first.analysedAreaPx == 96 * 76)
        #expect(first.provenance.imageSHA256 == (try SHA256.hex(fileAt: root + "/m1.png")))
        #expect(stats("m2.png") != nil)
        let out = OutputPaths(image: root + "/m1.png", folderName: "matssl")
        for file in [out.mask, out.overlay, out.thumbnail, out.objects] {
            #expect(FileManager.default.fileExists(atPath: file), "missing \(file)")
        }
        // The configured 4-row data bar was not segmented: "not analysed" (255) in the mask.
        let mask = try MaskCodec.read(path: out.mask)
        #expect(mask.height == 80 && mask.labels[(76 * 96)...].allSatisfy { $0 == LabelMask.notAnalysed })
        #expect(mask.labels[..<(76 * 96)].allSatisfy { Int($0) < DaemonModelSupport.classNames.count })
        // The folder summaries follow once the queue is empty.
        #expect(DaemonTestSupport.waitUntil(timeout: 15) {
            let csv = (try? String(contentsOfFile: out.resultsCSV, encoding: .utf8)) ?? ""
            return csv.split(whereSeparator: \.isNewline).count == 3 && FileManager.default.fileExists(atPath: out.indexHTML)
        }, "results.csv/index.html not rebuilt; log:\n\(agent.log)")
        let csv = try String(contentsOfFile: out.resultsCSV, encoding: .utf8)
        #expect(csv.contains("area_fraction_phase_a"), "header: \(csv.prefix(300))")
        #expect(csv.split(whereSeparator: \.isNewline)[1].hasPrefix("m1.png;"))
        let html = try String(contentsOfFile: out.indexHTML, encoding: .utf8)
        #expect(html.contains("m1.png.thumb.png") && html.contains("m2.png.thumb.png"))

        let status = try output(binary, ["status", "--config", config], environment: [:])
        #expect(status.contains("model: tiny 1 from \(modelPath)"), "status said:\n\(status)")

        // Replace the model file, reload: new images use the new model; nothing is lost.
        try DaemonModelSupport.saveModel(to: modelPath, name: "tiny", version: "2")
        agent.kill(SIGHUP)
        let messages = agent.notify.receive(timeout: 20) { $0.contains("READY=1") }
        #expect(messages.contains { $0.contains("RELOADING=1") }, "got \(messages)")
        #expect(DaemonTestSupport.waitUntil(timeout: 10) { agent.log.contains("reloaded configuration; engine tiny 2") }, "log:\n\(agent.log)")
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 510, width: 96, height: 80), to: root + "/m3.png")
        let third = try #require(stats("m3.png"), "no stats after reload; log:\n\(agent.log)")
        #expect(third.provenance.modelVersion == "2")

        // A model gone at reload time: under "auto" the same rule as at start-up applies — the Otsu
        // baseline, with a warning naming every place searched.
        try FileManager.default.removeItem(atPath: modelPath)
        agent.kill(SIGHUP)
        #expect(DaemonTestSupport.waitUntil(timeout: 10) { agent.log.contains("uses the Otsu baseline") && agent.log.contains(models) },
                "log:\n\(agent.log)")
        let fallback = try output(binary, ["status", "--config", config], environment: [:])
        #expect(fallback.contains("model: otsu-baseline 1") && fallback.contains("note: engine = \"auto\" uses the Otsu baseline"),
                "status said:\n\(fallback)")

        agent.kill(SIGTERM)
        #expect(agent.waitExit(timeout: 20) == 0, "SIGTERM must exit 0; log:\n\(agent.log)")
        let journal = try Journal(path: state + "/journal.sqlite", readOnly: true)
        #expect(try journal.duplicateProcessings().isEmpty)
        #expect(try journal.row(path: root + "/m3.png")?.modelVersion == "2")
    }

    func output(_ tool: String, _ args: [String], environment: [String: String]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return text
    }
}
