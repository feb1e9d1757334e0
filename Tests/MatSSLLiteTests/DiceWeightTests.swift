import Foundation
import Testing
@testable import MatSSLLite

/// The fine-tuning loss's Dice weight comes from the run's provenance ("diceWeight", default 1 for
/// runs from before the option), is recorded, and reaches the loss.
@Suite struct DiceWeightTests {
    @Test func trainerTakesAndRecordsTheDiceWeight() throws {
        let imgs = TrainingTests.syntheticSet(count: 2, size: 48, seed: 4)
        let plain = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32,
                                            state: TrainingTests.segState(steps: 2))
        #expect(plain.loss.diceWeight == 1)
        #expect(plain.state.provenance["diceWeight"] == "1.0")

        var st = TrainingTests.segState(steps: 2)
        st.provenance["diceWeight"] = "0"
        let ceOnly = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32, state: st)
        #expect(ceOnly.loss.diceWeight == 0)
        #expect(ceOnly.state.provenance["diceWeight"] == "0.0")
        // The step's loss is its cross-entropy alone (the Dice value is still reported).
        let (x, y) = ceOnly.batchData(step: 0)
        let r = ceOnly.loss.compute(logits: try ceOnly.net.forward(x), labels: y)
        #expect(r.loss == r.ce && r.dice > 0)

        for bad in ["-1", "nan", "heavy"] {
            st.provenance["diceWeight"] = bad
            #expect { try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32, state: st) }
                throws: { "\($0)".contains("Dice weight") }
        }
    }
}
