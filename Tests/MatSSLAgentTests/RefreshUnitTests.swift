import Foundation
import Testing
@testable import matssl_agent

@Suite("refresh gate, pool and config")
struct RefreshUnitTests {
    func score(_ iou: [Double?], agreement: Double? = 0.99) -> ModelScore {
        let v = iou.compactMap { $0 }
        return ModelScore(version: "v", classIoU: iou, meanIoU: v.reduce(0, +) / Double(max(v.count, 1)), paperMeanIoU: nil,
                          pixelAccuracy: 0.9, agreement: agreement, fp32MeanIoU: nil)
    }
    let names = ["a", "b", "c"]

    @Test func theGatePromotesOnlyWhenNothingGetsWorse() {
        let gate = RefreshGate(maxClassDrop: 0.01, minAgreement: 0.97)
        let cur = score([0.8, 0.6, 0.5])
        #expect(gate.decide(current: cur, candidate: score([0.82, 0.6, 0.5]), classNames: names).promote)
        // Equal is allowed (mIoU does not drop).
        #expect(gate.decide(current: cur, candidate: cur, classNames: names).promote)
        // mIoU drop.
        let d1 = gate.decide(current: cur, candidate: score([0.8, 0.6, 0.48]), classNames: names)
        #expect(!d1.promote && d1.reasons.contains { $0.contains("mIoU dropped") })
        // One class drops 3 points although the mean rises.
        let d2 = gate.decide(current: cur, candidate: score([0.9, 0.57, 0.5]), classNames: names)
        #expect(!d2.promote && d2.reasons.contains { $0.contains("IoU of b dropped by 3.00 points") })
        // A drop within the margin is fine when the mean does not drop.
        #expect(gate.decide(current: cur, candidate: score([0.82, 0.595, 0.5]), classNames: names).promote)
        // Agreement too low / not measured.
        #expect(!gate.decide(current: cur, candidate: score([0.9, 0.7, 0.6], agreement: 0.9), classNames: names).promote)
        #expect(!gate.decide(current: cur, candidate: score([0.9, 0.7, 0.6], agreement: nil), classNames: names).promote)
        // NaN mIoU never passes.
        var nan = score([0.9, 0.7, 0.6]); nan.meanIoU = .nan
        #expect(!gate.decide(current: cur, candidate: nan, classNames: names).promote)
    }

    @Test func anAbsentClassThatTheCandidateStartsPredictingIsADrop() {
        let gate = RefreshGate()
        // Class c absent from truth: the current model never predicts it (nil = perfect), the candidate does (0).
        let d = gate.decide(current: score([0.8, 0.6, nil]), candidate: score([0.8, 0.6, 0.0]), classNames: names)
        #expect(!d.promote && d.reasons.contains { $0.contains("IoU of c") })
        // The other way round is an improvement.
        #expect(!gate.decide(current: score([0.8, 0.6, 0.0]), candidate: score([0.8, 0.6, nil]), classNames: names).reasons.contains { $0.contains("IoU of c") })
    }

    @Test func thePoolCoversFoldersAndTimeWithinItsCap() {
        // Folder a: 100 images over days 0..99; folder b: 5 images; folder c: 1.
        var entries: [ImagePool.Entry] = (0..<100).map { .init(path: "/a/\($0)", folder: "/a", finishedAt: Double($0) * 86400) }
        entries += (0..<5).map { .init(path: "/b/\($0)", folder: "/b", finishedAt: Double($0) * 1000) }
        entries.append(.init(path: "/c/0", folder: "/c", finishedAt: 5))
        let pool = ImagePool.sample(entries, cap: 20)
        #expect(pool.count == 20)
        #expect(Set(pool.map(\.path)).count == 20)
        #expect(pool.filter { $0.folder == "/b" }.count == 5 && pool.filter { $0.folder == "/c" }.count == 1)
        let a = pool.filter { $0.folder == "/a" }.map(\.finishedAt)
        #expect(a.count == 14)
        // Spread over the whole period, not the first or last 14 days.
        #expect(a.min()! < 10 * 86400 && a.max()! > 90 * 86400)
        #expect(ImagePool.sample(entries, cap: 500).count == entries.count)
    }

    @Test func thePoolComesFromTheJournalReadOnly() throws {
        let world = try RefreshWorld(poolCount: 5, installBase: false)
        defer { world.remove() }
        let all = try ImagePool.processedImages(journalPath: world.state + "/journal.sqlite")
        #expect(all.count == 5)
        try FileManager.default.removeItem(atPath: all[0].path) // vanished images are left out
        #expect(try ImagePool.processedImages(journalPath: world.state + "/journal.sqlite").count == 4)
        #expect(try ImagePool.processedImages(journalPath: world.state + "/nothing.sqlite").isEmpty)
        let copied = try ImagePool.copy(Array(all.dropFirst()), into: world.root + "/poolcopy")
        #expect(copied.count == 4 && copied.allSatisfy { FileManager.default.fileExists(atPath: $0) })
    }

    @Test func theRefreshSectionIsParsedAndValidated() throws {
        let c = try RefreshConfig.parse("""
            [state]
            dir = "/tmp/st"
            [segmentation]
            model = "steel"
            [refresh]
            pool_size = 50
            max_minutes = 90
            mode = "adabn"
            max_class_drop = 0.02
            keep_models = 4
            labeled_images = "/l/i"
            labeled_masks = "/l/m"
            """, file: "x.toml")
        #expect(c.stateDirectory == "/tmp/st" && c.modelName == "steel" && c.poolSize == 50 && c.maxMinutes == 90)
        #expect(c.mode == "adabn" && c.maxClassDrop == 0.02 && c.keepModels == 4)
        #expect(c.modelsDirectory == "/tmp/st/models/steel")
        let defaults = try RefreshConfig.parse("", file: "x.toml")
        #expect(defaults.maxClassDrop == 0.01 && !defaults.poolCopy)
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[refresh]\npool_sise = 3", file: "x.toml") }
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[refresh]\nmode = \"fast\"", file: "x.toml") }
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[refresh]\nssl_crop = 100", file: "x.toml") }
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[refresh]\nlabeled_images = \"/x\"", file: "x.toml") }
        do { _ = try RefreshConfig.parse("[refresh]\npool_size = -1", file: "site.toml"); Issue.record("accepted") } catch {
            #expect("\(error)".contains("site.toml") && "\(error)".contains("refresh.pool_size"))
        }
        // The pool shares the daemon's data bar; the labeled set has its own.
        let bars = try RefreshConfig.parse("[statistics]\ndata_bar_rows = 64\n[refresh]\nlabeled_data_bar_rows = 32", file: "x.toml")
        #expect(bars.poolDataBarRows == 64 && bars.labeledDataBarRows == 32)
        #expect(defaults.poolDataBarRows == 0 && defaults.labeledDataBarRows == 0)
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[statistics]\ndata_bar_rows = -2", file: "x.toml") }
        #expect(throws: ConfigError.self) { try RefreshConfig.parse("[refresh]\nlabeled_data_bar_rows = -1", file: "x.toml") }
    }
}
