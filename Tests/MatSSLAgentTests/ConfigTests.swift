import Foundation
import Testing
@testable import matssl_agent

@Suite("Configuration")
struct ConfigTests {
    @Test func minimalFileGetsServingDefaults() throws {
        let c = try ConfigLoader.parse("[watch]\nroots = [\"/srv/x\"]\n", file: "t.toml")
        #expect(c.roots == ["/srv/x"])
        #expect(c.backend == .auto && c.settleTime == 2 && c.outputFolder == "matssl" && c.engine == "auto" && c.model.isEmpty && c.threads == 2)
        #expect(c.grainClasses.isEmpty && c.dataBarRows == 0 && !c.objectsCSV && c.csvSeparator == .comma && c.htmlReport)
        #expect(c.journalPath == "/var/lib/matssl-agent/journal.sqlite")
        #expect(c.tileMegapixels == 0 && c.tilePixelBudget == nil, "the model file's own tile budget")
    }

    @Test func everyKeyIsRead() throws {
        let c = try ConfigLoader.parse("""
            [watch]
            roots = ["/a", "/b"]
            backend = "polling"
            poll_interval = 0.5
            rescan_interval = 0
            settle_time = 1
            include = ["*.tif"]
            exclude = ["tmp/*"]
            [output]
            folder = "results"
            overlay = false
            results_csv = false
            [segmentation]
            engine = "model"
            model = "/m/x.int8.safetensors"
            threads = 1
            tta = "d4"
            tile_megapixels = 2.5
            [statistics]
            grain_classes = ["boundary"]
            data_bar_rows = 60
            objects_csv = true
            csv_separator = ";"
            html_report = false
            [image]
            pixel_size_um = 0.25
            intensity_range = "0:4095"
            [limits]
            max_file_mb = 10
            max_pixels = 1000
            [state]
            dir = "/tmp/s"
            [service]
            status_interval = 3
            """, file: "t.toml")
        #expect(c.roots == ["/a", "/b"] && c.backend == .polling && c.pollInterval == 0.5 && c.rescanInterval == 0 && c.settleTime == 1)
        #expect(c.include == ["*.tif"] && c.exclude == ["tmp/*"] && c.outputFolder == "results" && !c.writeOverlay && !c.writeResultsCSV)
        #expect(c.threads == 1 && c.pixelSizeMicrometres == 0.25 && c.maxFileMegabytes == 10 && c.maxPixels == 1000)
        #expect(c.stateDirectory == "/tmp/s" && c.statusInterval == 3)
        #expect(c.engine == "model" && c.model == "/m/x.int8.safetensors" && c.augmentation == .d4)
        #expect(c.tileMegapixels == 2.5 && c.tilePixelBudget == 2_500_000)
        #expect(c.grainClasses == ["boundary"] && c.dataBarRows == 60 && c.objectsCSV && c.csvSeparator == .semicolon && !c.htmlReport)
        #expect(c.statisticsOptions.grainBoundaryClasses == ["boundary"] && c.statisticsOptions.dataBarRows == 60)
        #expect(c.intensityRange == .fixed(low: 0, high: 4095) && PixelSizePolicy.limits(c).intensity == .fixed(low: 0, high: 4095))
    }

    @Test func intensityRangeDefaultsToAutoAndBadValuesAreNamed() throws {
        #expect(try ConfigLoader.parse("[watch]\nroots = [\"/a\"]\n", file: "t.toml").intensityRange == .auto)
        #expect(try ConfigLoader.parse("[image]\nintensity_range = \"storage\"\n[watch]\nroots = [\"/a\"]\n", file: "t.toml").intensityRange == .storage)
        for bad in ["\"4095:0\"", "\"twelve-bit\"", "12"] {
            do {
                _ = try ConfigLoader.parse("[image]\nintensity_range = \(bad)\n[watch]\nroots = [\"/a\"]\n", file: "t.toml")
                Issue.record("intensity_range = \(bad) accepted")
            } catch let e as ConfigError {
                #expect(e.description.contains("image.intensity_range"), "\(e)")
            }
        }
        // The refresh reads the same key, so its pool and labeled images decode as the daemon's do.
        let r = try RefreshConfig.parse("[image]\nintensity_range = \"0:1023\"\n", file: "t.toml")
        #expect(r.intensity == .fixed(low: 0, high: 1023) && r.decodeLimits.intensity == .fixed(low: 0, high: 1023))
        #expect(try RefreshConfig.parse("", file: "t.toml").intensity == .auto)
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[image]\nintensity_range = \"1:1\"\n", file: "t.toml") }
    }

    @Test func testTimeAugmentationDefaultsToFlipsAndRejectsUnknownNames() throws {
        let c = try ConfigLoader.parse("[watch]\nroots = [\"/a\"]\n", file: "t.toml")
        #expect(c.augmentation == .flips)
        #expect(throws: (any Error).self) {
            try ConfigLoader.parse("[watch]\nroots = [\"/a\"]\n[segmentation]\ntta = \"rot\"\n", file: "t.toml")
        }
    }

    @Test func typosAndBadValuesAreReportedTogether() {
        do {
            _ = try ConfigLoader.parse("""
                [watch]
                roots = ["relative/path"]
                setle_time = 2
                backend = "magic"
                [output]
                folder = ".hidden"
                [segmentation]
                engine = "magic"
                [statistics]
                csv_separator = "|"
                [bogus]
                """, file: "bad.toml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            let text = error.description
            #expect(text.contains("bad.toml"))
            #expect(text.contains("watch.setle_time"))
            #expect(text.contains("watch.backend"))
            #expect(text.contains("absolute"))
            #expect(text.contains("output.folder"))
            #expect(text.contains("segmentation.engine"))
            #expect(text.contains("statistics.csv_separator"))
            #expect(text.contains("bogus"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func syntaxErrorsNameTheFile() {
        #expect(throws: ConfigError.self) { try ConfigLoader.parse("[watch\nroots = 1", file: "x.toml") }
    }

    /// The shipped example must parse and carry exactly the documented defaults.
    @Test func shippedExampleParsesToTheDefaults() throws {
        let path = DaemonTestSupport.packageRoot + "/deploy/matssl-agent.toml"
        var parsed = try ConfigLoader.load(path: path)
        #expect(parsed.roots == ["/srv/micrographs"])
        parsed.roots = []
        #expect(parsed == AgentConfig())
    }

    @Test func environmentCheckFindsMissingRootsAndAnUnavailableEngine() throws {
        let dir = DaemonTestSupport.tempDirectory("cfg")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var c = AgentConfig()
        c.roots = [dir, dir + "/missing"]
        c.stateDirectory = dir + "/state"
        #expect(ConfigLoader.checkEnvironment(c).count == 1)
        c.engine = "model"; c.model = "/nowhere.mssl"
        #expect(ConfigLoader.checkEnvironment(c).count == 2)
    }

    @Test func checkConfigCommandExitsNonZeroOnAnInvalidFile() throws {
        let dir = DaemonTestSupport.tempDirectory("cfgcmd")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "[watch]\nroots = [\"\(dir)\"]\n[state]\ndir = \"\(dir)/state\"\n".write(toFile: dir + "/ok.toml", atomically: true, encoding: .utf8)
        try "[watch]\nroots = [\"\(dir)/nope\"]\n".write(toFile: dir + "/bad.toml", atomically: true, encoding: .utf8)
        let ok = try CheckConfigCommand.parse(["--config", dir + "/ok.toml"])
        try ok.run()
        let bad = try CheckConfigCommand.parse(["--config", dir + "/bad.toml"])
        #expect(throws: (any Error).self) { try bad.run() }
    }
}
