import Foundation
import Glibc
import MatSSLLite
import Testing
@testable import matssl_agent

@Suite("refresh training phases", .serialized)
struct RefreshTrainingTests {
    /// With encoder_lr_factor 0 the encoder and gates stay exactly as initialised; the decoder learns.
    @Test func theEncoderLearningRateFactorScalesOnlyEncoderUpdates() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        var c = try RefreshConfig.load(path: world.config)
        c.finetuneSteps = 3; c.encoderLRFactor = 0
        let ws = RefreshWorkspace(directory: world.root + "/work")
        let base = try Checkpoint.load(path: RefreshFixtures.base.fp32)
        let train = try DatasetLoader.loadLabeled(imageDir: world.root + "/labeled/images", maskDir: world.root + "/labeled/masks") { _ in }
        var curve: [[Double]] = []
        let (end, trainer) = try CandidateTrainer(config: c, workspace: ws, logger: .init(label: "t"))
            .runFinetune(base: base, ssl: nil, train: train, minutes: 10, lossCurve: &curve)
        #expect(end == .finished && trainer.state.step == 3 && curve.count == 3)
        var encoderSame = 0, decoderChanged = 0
        for e in trainer.net.store.entries where e.trainable {
            let now = trainer.net.store.copy(e.name)!, was = base.file.tensors[e.name]!.values
            if SegmentationTrainer.isEncoderTensor(e.name) { #expect(now == was, "\(e.name) moved"); encoderSame += 1 }
            else if now != was { decoderChanged += 1 }
        }
        #expect(encoderSame > 0 && decoderChanged > 0)
    }

    /// AdaBN changes only batch-norm running statistics, to finite values that differ from the base.
    @Test func adaBNReestimatesOnlyRunningStatistics() throws {
        let world = try RefreshWorld()
        defer { world.remove() }
        let c = try RefreshConfig.load(path: world.config)
        let base = try Checkpoint.load(path: RefreshFixtures.base.fp32)
        let pool = try DatasetLoader.loadUnlabeled(dirs: [world.root + "/watched/a", world.root + "/watched/b"]) { _ in }
        let net = try CandidateTrainer(config: c, workspace: RefreshWorkspace(directory: world.root + "/work"), logger: .init(label: "t"))
            .adaBN(base: base, pool: pool, batches: 2)
        #expect(!net.training)
        var statsChanged = 0
        for e in net.store.entries {
            let now = net.store.copy(e.name)!, was = base.file.tensors[e.name]!.values
            if e.name.hasSuffix("running_mean") || e.name.hasSuffix("running_var") {
                #expect(now.allSatisfy { $0.isFinite })
                if now != was { statsChanged += 1 }
            } else {
                #expect(now == was, "\(e.name) changed")
            }
        }
        #expect(statsChanged > 0)
    }

    /// SIGTERM during SSL: the command checkpoints, exits 130 and reports "interrupted"; the next run
    /// continues the same refresh from the checkpoint.
    @Test func aRefreshStoppedBySIGTERMResumesOnTheNextRun() throws {
        guard let binary = EndToEndSupport.agentBinary() else { Issue.record("built matssl-agent binary not found"); return }
        let world = try RefreshWorld(refresh: "")
        defer { world.remove() }
        // Many SSL steps so that the run is still in SSL when stopped.
        var text = try String(contentsOfFile: world.config, encoding: .utf8)
        text = text.replacingOccurrences(of: "ssl_steps = 3", with: "ssl_steps = 5000")
        try text.write(toFile: world.config, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["refresh", "--config", world.config, "--no-idle"]
        p.standardOutput = FileHandle.nullDevice
        let err = Pipe()
        p.standardError = err
        try p.run()
        let work = RefreshWorkspace(directory: world.state + "/refresh/work")
        // Wait until SSL is running (its first progress line), then stop it.
        var log = ""
        let deadline = Date(timeIntervalSinceNow: 60)
        while Date() < deadline && !log.contains("step 2/5000") {
            let d = err.fileHandleForReading.availableData
            if d.isEmpty { break }
            log += String(decoding: d, as: UTF8.self)
        }
        #expect(log.contains("step 2/5000"), "no SSL progress: \(log)")
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 130)
        let stopped = try Checkpoint.load(path: work.sslCheckpoint).state.step
        #expect(stopped >= 2 && stopped < 5000)
        let state = try #require(work.loadState())
        let interrupted = try JSONDecoder().decode(RefreshReport.self, from: Data(contentsOf: URL(fileURLWithPath: world.state + "/refresh/reports/\(state.run).json")))
        #expect(interrupted.decision == "interrupted" && interrupted.sslStepsDone == stopped)

        // The next run (a short budget here) continues from the checkpoint.
        let next = try world.runner { $0.maxMinutes = 0.5 / 60; $0.sslShare = 1 }.run()
        #expect(next.run == state.run)
        #expect(next.sslStepsDone > stopped && next.sslStepsTotal == 5000)
        #expect(world.store.currentVersion() == RefreshFixtures.base.version)
    }
}
