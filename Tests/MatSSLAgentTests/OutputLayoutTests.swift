import Foundation
import Logging
import MatSSLLite
import Testing
import Watcher
@testable import matssl_agent

@Suite("Output layout: beside the images or an output.root mirror")
struct OutputLayoutTests {
    @Test func defaultLayoutIsASubfolderBesideTheImages() {
        let l = OutputLayout(folderName: "matssl")
        #expect(l.directory(forImageFolder: "/srv/sem/2026") == "/srv/sem/2026/matssl")
        #expect(OutputPaths(image: "/srv/sem/a.tif", layout: l).stats == "/srv/sem/matssl/a.tif.stats.json")
    }

    @Test func mirrorPlacesEachFolderBelowItsWatchRootsName() {
        let l = OutputLayout(folderName: "matssl", root: "/srv/results", watchRoots: ["/srv/sem", "/mnt/optical/", "/mnt/optical/fast"])
        #expect(l.directory(forImageFolder: "/srv/sem") == "/srv/results/sem")
        #expect(l.directory(forImageFolder: "/srv/sem/2026/run 1") == "/srv/results/sem/2026/run 1")
        #expect(l.directory(forImageFolder: "/mnt/optical/x") == "/srv/results/optical/x")
        // The deepest root containing the folder wins.
        #expect(l.directory(forImageFolder: "/mnt/optical/fast/y") == "/srv/results/fast/y")
        // A name that merely starts like a root is not inside it.
        #expect(l.directory(forImageFolder: "/srv/sem2/z") == "/srv/results/_unrooted/srv/sem2/z")
        #expect(OutputPaths(image: "/srv/sem/2026/a.tif", layout: l).mask == "/srv/results/sem/2026/a.tif.mask.png")
        #expect(OutputPaths(image: "/srv/sem/2026/a.tif", layout: l).resultsCSV == "/srv/results/sem/2026/results.csv")
    }

    @Test func badMirrorRootsAreRefusedWithTheReason() {
        #expect(OutputLayout.problems(root: "", watchRoots: ["/a"]).isEmpty)
        #expect(OutputLayout.problems(root: "/out", watchRoots: ["/a", "/b/c"]).isEmpty)
        #expect(OutputLayout.problems(root: "out", watchRoots: ["/a"]).first?.contains("absolute") == true)
        #expect(OutputLayout.problems(root: "/a/results", watchRoots: ["/a"]).first?.contains("inside the watched tree") == true)
        #expect(OutputLayout.problems(root: "/a/", watchRoots: ["/a"]).first?.contains("inside the watched tree") == true)
        #expect(OutputLayout.problems(root: "/data", watchRoots: ["/data/sem"]).first?.contains("lies inside 'output.root'") == true)
        #expect(OutputLayout.problems(root: "/out", watchRoots: ["/x/sem", "/y/sem"]).first?.contains("share the output folder '/out/sem'") == true)
        #expect(OutputLayout.problems(root: "/out", watchRoots: ["/x/sem", "/x/sem/"]).isEmpty, "the same root twice is not a clash")
    }

    @Test func configReadsAndValidatesTheRoot() throws {
        let c = try ConfigLoader.parse("[watch]\nroots = [\"/srv/sem\"]\n[output]\nroot = \"/srv/results\"\n", file: "t.toml")
        #expect(c.outputRoot == "/srv/results" && c.outputLayout.mirrors)
        #expect(try ConfigLoader.parse("[watch]\nroots = [\"/srv/sem\"]\n", file: "t.toml").outputLayout == OutputLayout(folderName: "matssl", watchRoots: ["/srv/sem"]))
        do {
            _ = try ConfigLoader.parse("[watch]\nroots = [\"/srv/sem\"]\n[output]\nroot = \"/srv/sem/out\"\n", file: "t.toml")
            Issue.record("an output root inside the watched tree was accepted")
        } catch let e as ConfigError {
            #expect(e.description.contains("would watch its own outputs"), "\(e)")
        }
    }

    /// The daemon's image processor and folder tables with a mirror: every output lands in it and
    /// the watched folder gets no new entry.
    @Test func theWatchedTreeIsNotWrittenTo() throws {
        let dir = DaemonTestSupport.tempDirectory("mirror")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let watched = dir + "/sem", results = dir + "/results"
        try FileManager.default.createDirectory(atPath: watched + "/2026", withIntermediateDirectories: true)
        DaemonTestSupport.write(try DaemonTestSupport.pngBytes(seed: 4), to: watched + "/2026/a.png")
        var config = ImageProcessorTests.config(watched)
        config.stateDirectory = dir + "/.state"
        config.outputRoot = results
        #expect(ConfigLoader.validate(config).isEmpty)
        let journal = try Journal(path: config.journalPath)
        let p = ImageProcessor(config: config, segmenter: OtsuSegmenter(), journal: journal, logger: Logger(label: "test"),
                               rehint: { _ in }, shouldStop: { false }, progress: {})
        try journal.admit(path: watched + "/2026/a.png", signature: try #require(FileSignature.of(path: watched + "/2026/a.png")))
        #expect(p.process(try #require(try journal.takeNext())) == .done)
        let report = try FolderResults.rebuild(folder: watched + "/2026", options: .init(config: config, palette: OtsuSegmenter().palette), journal: journal)
        #expect(report == .init(images: 1, problems: []))
        let out = results + "/sem/2026"
        for name in ["a.png.mask.png", "a.png.overlay.png", "a.png.stats.json", "a.png.thumb.png", "results.csv", "index.html"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "\(name)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: watched + "/2026") == ["a.png"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: watched) == ["2026"])
        #expect(try StatisticsFiles.readJSON(path: out + "/a.png.stats.json").provenance.image == "a.png")
    }
}
