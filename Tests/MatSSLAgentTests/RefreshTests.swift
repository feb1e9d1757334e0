import Foundation
import MatSSLLite
import Testing
@testable import matssl_agent

/// End-to-end refreshes on a tiny world (tiny network, 64² crops, a handful of steps).
@Suite("refresh end to end", .serialized)
struct RefreshTests {
    /// The pool drops the daemon's data bar (`statistics.data_bar_rows`), the labeled sets their own.
    @Test func poolAndLabeledImagesLoseTheirDataBars() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        let plain = try world.runner()
        let ws = RefreshWorkspace(directory: world.root + "/work-a")
        let whole = try plain.loadPool(ws)
        let barred = try world.runner { $0.poolDataBarRows = 16; $0.labeledDataBarRows = 8 }
        let pool = try barred.loadPool(ws) // the same fixed pool list
        #expect(!whole.isEmpty && pool.count == whole.count)
        for (a, b) in zip(whole, pool) {
            #expect(b.width == a.width && b.height == a.height - 16 && Array(a.pixels[0..<b.pixels.count]) == b.pixels)
        }
        let sets = try LabeledSets.load(barred.config, modelPointer: [:]) { _ in }
        let plainSets = try LabeledSets.load(plain.config, modelPointer: [:]) { _ in }
        #expect(sets.train.map(\.height) == plainSets.train.map { $0.height - 8 })
        #expect(sets.heldout.map(\.height) == plainSets.heldout.map { $0.height - 8 })
        #expect(sets.pointer["labeled_data_bar_rows"] == "8" && plainSets.pointer["labeled_data_bar_rows"] == nil)
    }

    @Test func refreshOnASmallPoolRunsEndToEndAndReportsHonestly() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        let base = RefreshFixtures.base
        let report = try world.runner().run()
        print(report.summaryLine)

        #expect(report.poolSize == 4)
        #expect(report.sslStepsDone == 3 && report.sslStepsTotal == 3)
        #expect(!report.sslLoss.isEmpty && report.sslLoss.allSatisfy { $0.count == 2 && $0[1].isFinite })
        #expect(report.finetuneStepsDone == 12)
        #expect(report.labeledTrain == RefreshFixtures.trainSeeds.count)
        #expect(report.heldout.count == RefreshFixtures.heldoutSeeds.count)
        let before = try #require(report.before), after = try #require(report.after)
        #expect(before.version == base.version && after.version == report.candidateVersion)

        // "before" is the current model's real int8 score on the held-out split.
        let heldout = try DatasetLoader.loadLabeled(imageDir: world.root + "/heldout/images", maskDir: world.root + "/heldout/masks") { _ in }
        let independent = try Int8Evaluator.evaluate(try QuantizedModelFile.load(path: base.int8), images: heldout)
        #expect(abs(independent.metrics.meanIoU() - before.meanIoU) < 1e-12)

        // The decision follows the gate, and the store follows the decision.
        let gate = RefreshGate(maxClassDrop: 0.01, minAgreement: 0.9)
        let expected = gate.decide(current: before, candidate: after, classNames: RefreshFixtures.classes)
        #expect(report.decision == (expected.promote ? "promoted" : "rejected"))
        if report.decision == "promoted" {
            let v = try #require(report.candidateVersion)
            #expect(world.store.currentVersion() == v)
            #expect(after.meanIoU >= before.meanIoU)
            let promoted = try QuantizedModelFile.load(path: world.store.currentLink)
            #expect(promoted.info.version == v)
            #expect(promoted.info.trainingData["refreshed_from"] == base.version)
            #expect(FileManager.default.fileExists(atPath: world.store.fp32Path(v)))
            #expect(try Checkpoint.loadSegmentationNet(path: world.store.fp32Path(v)).numClasses == 2)
        } else {
            #expect(world.store.currentVersion() == base.version)
        }
        // Report on disk, one history line, work folder gone.
        let onDisk = try JSONDecoder().decode(RefreshReport.self, from: Data(contentsOf: URL(fileURLWithPath: world.state + "/refresh/reports/\(report.run).json")))
        #expect(onDisk.decision == report.decision && onDisk.after == report.after)
        let history = try String(contentsOfFile: world.state + "/refresh/history.log", encoding: .utf8)
        #expect(history.split(separator: "\n").count == 1 && history.contains(report.decision))
        #expect(!FileManager.default.fileExists(atPath: world.state + "/refresh/work"))
    }

    @Test func aCandidateTrainedOnCorruptedLabelsIsRejectedAndTheCurrentModelStays() throws {
        let world = try RefreshWorld(invertLabels: true, refresh: "")
        defer { world.remove() }
        let report = try world.runner { $0.finetuneSteps = 25; $0.finetuneLR = 0.005; $0.encoderLRFactor = 1 }.run()
        print(report.summaryLine)
        let before = try #require(report.before), after = try #require(report.after)
        #expect(before.meanIoU > 0.7, "the base model should be good on the held-out discs (got \(before.meanIoU))")
        #expect(after.meanIoU < before.meanIoU)
        #expect(report.decision == "rejected")
        #expect(report.reasons.contains { $0.contains("mIoU dropped") })
        #expect(world.store.currentVersion() == RefreshFixtures.base.version)
        #expect(world.store.versions() == [RefreshFixtures.base.version])
    }

    @Test func anInterruptedRefreshResumesWhereItStopped() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        // SSL gets ~0.6 s per run of a 400-step schedule: each run stops on its time share.
        let edit: (inout RefreshConfig) -> Void = { $0.sslSteps = 400; $0.sslShare = 1; $0.maxMinutes = 0.6 / 60; $0.checkpointMinutes = 100 }
        let first = try world.runner(edit).run()
        #expect(first.decision == "deferred")
        #expect(first.sslStepsDone >= 1 && first.sslStepsDone < 400)
        let work = RefreshWorkspace(directory: world.state + "/refresh/work")
        #expect(try Checkpoint.load(path: work.sslCheckpoint).state.step == first.sslStepsDone)
        #expect(work.loadPool()?.count == 4)

        let second = try world.runner(edit).run()
        #expect(second.decision == "deferred")
        #expect(second.run == first.run) // the same refresh, continued
        #expect(second.sslStepsDone > first.sslStepsDone)
        #expect(second.sslLoss.count >= first.sslLoss.count)
        #expect(Array(second.sslLoss.prefix(first.sslLoss.count)) == first.sslLoss)
        #expect(second.durationSeconds > first.durationSeconds)
        #expect(world.store.currentVersion() == RefreshFixtures.base.version)

        // A different base model discards the stale work and starts over.
        var s = try #require(work.loadState())
        s.baseVersion = "something-else"
        try work.save(s)
        let third = try world.runner(edit).run()
        #expect(third.run != first.run)
        #expect(third.sslStepsDone < second.sslStepsDone + 1_000) // ran; starts from step 0 of a new schedule
    }

    /// A current model with a class-weight correction: the current model is scored against its fp32
    /// net with the same correction (agreement stays high), and the candidate gets the same τ with
    /// its own fine-tuning weights. The base's correction here is deliberately wrong (weights 0.1 /
    /// 10 push nearly everything to background), so the candidate, corrected with its real weights, wins.
    @Test func aCorrectedModelsCandidateIsCorrectedWithItsOwnWeights() throws {
        let wrong = LogitAdjustment(tau: 1, classWeights: [0.1, 10])
        let world = try RefreshWorld(baseLogitAdjustment: wrong)
        defer { world.remove() }
        let report = try world.runner().run()
        print(report.summaryLine)
        let before = try #require(report.before)
        #expect((before.agreement ?? 0) > 0.98, "current int8 vs its corrected fp32 net: \(before.agreement ?? 0)")
        try #require(report.decision == "promoted", "\(report.reasons)")
        let promoted = try QuantizedModelFile.load(path: world.store.currentLink)
        let adj = try #require(promoted.info.provenance.logitAdjustment)
        let train = try DatasetLoader.loadLabeled(imageDir: world.root + "/labeled/images", maskDir: world.root + "/labeled/masks") { _ in }
        let expected = ClassWeighting.inverseSqrt.weights(labels: train.map { $0.labels! }, classes: 2).map { Float($0) }
        #expect(adj.tau == 1 && adj.classWeights == expected, "\(adj.classWeights) vs \(expected)")
    }

    @Test func theAdaBNVariantIsGatedLikeTheFullRefresh() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        let report = try world.runner { $0.mode = "adabn" }.run()
        print(report.summaryLine)
        #expect(report.adabnBatches == 2 && report.sslStepsDone == 0 && report.finetuneStepsDone == 0)
        let before = try #require(report.before), after = try #require(report.after)
        let expected = RefreshGate(maxClassDrop: 0.01, minAgreement: 0.9).decide(current: before, candidate: after, classNames: RefreshFixtures.classes)
        #expect(report.decision == (expected.promote ? "promoted" : "rejected"))
        #expect(world.store.currentVersion() == (expected.promote ? report.candidateVersion : RefreshFixtures.base.version))
    }

    @Test func aSecondRefreshAtTheSameTimeStopsWithAClearError() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        try FileManager.default.createDirectory(atPath: world.state + "/refresh", withIntermediateDirectories: true)
        let held = try RefreshRunner.lock(world.state + "/refresh/lock")
        defer { close(held) }
        #expect { try world.runner().run() } throws: { "\($0)".contains("another refresh is running") }
        // A failed refresh still leaves a report and a history line.
        let reports = try FileManager.default.contentsOfDirectory(atPath: world.state + "/refresh/reports")
        #expect(reports.count == 1 && reports[0].hasSuffix("-failed.json"))
        let failed = try JSONDecoder().decode(RefreshReport.self, from: Data(contentsOf: URL(fileURLWithPath: world.state + "/refresh/reports/" + reports[0])))
        #expect(failed.decision == "failed" && failed.reasons.contains { $0.contains("another refresh is running") })
        #expect(try String(contentsOfFile: world.state + "/refresh/history.log", encoding: .utf8).contains(" failed: "))
    }

    @Test func withoutAnFp32CheckpointTheRefreshSaysWhatToSet() throws {
        let world = try RefreshWorld(installBase: false)
        defer { world.remove() }
        #expect { try world.runner { $0.currentModelValue = RefreshFixtures.base.int8 }.run() } throws: {
            "\($0)".contains("refresh.base_checkpoint")
        }
        // With base_checkpoint the shipped model is adopted into the store on promotion (or stays outside it).
        let report = try world.runner { $0.currentModelValue = RefreshFixtures.base.int8; $0.baseCheckpoint = RefreshFixtures.base.fp32; $0.mode = "adabn" }.run()
        print(report.summaryLine)
        #expect(report.baseVersion == RefreshFixtures.base.version)
        if report.decision == "promoted" {
            #expect(world.store.versions() == [RefreshFixtures.base.version, report.candidateVersion!])
        }
    }

    /// The command as the timer runs it: config file only, idle priority, exit 0, the summary on stdout.
    @Test func theRefreshCommandRunsFromTheConfigFile() throws {
        guard let binary = EndToEndSupport.agentBinary() else { Issue.record("built matssl-agent binary not found"); return }
        let world = try RefreshWorld()
        defer { world.remove() }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["refresh", "--config", world.config, "--adabn", "--report", world.root + "/r.json"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "stderr: \(log)")
        #expect(text.hasPrefix("refresh ") && (text.contains(" promoted:") || text.contains(" rejected:")))
        #expect(log.contains("nice 19"))
        let r = try JSONDecoder().decode(RefreshReport.self, from: Data(contentsOf: URL(fileURLWithPath: world.root + "/r.json")))
        #expect(r.mode == "adabn" && r.before != nil && r.after != nil)
    }
}
