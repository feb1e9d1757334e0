import Foundation
import Testing
@testable import MatSSLLite

@Suite struct ClassWeightingTests {
    /// Frequencies 0.8 / 0.2: 1/√f = 1.118 / 2.236, mean 1.677 → 2/3 and 4/3.
    @Test func inverseSqrtHasTheKnownAnswer() {
        let labels: [[UInt8]] = [[UInt8](repeating: 0, count: 80) + [UInt8](repeating: 1, count: 20), [255, 255, 9]]
        let w = ClassWeighting.inverseSqrt.weights(labels: labels, classes: 3)
        #expect(abs(w[0] - 2.0 / 3) < 1e-12 && abs(w[1] - 4.0 / 3) < 1e-12)
        #expect(w[2] == 0, "a class absent from the labels gets no weight")
    }

    @Test func inverseSqrtIsCappedAtTen() {
        // Twenty common classes and one a million times rarer: uncapped it would be ~20.6.
        let w = ClassWeighting.inverseSqrt(frequencies: [Double](repeating: 1_000_000, count: 20) + [1])
        #expect(w[20] == 10 && w[0] < 0.1, "\(w[0]), \(w[20])")
    }

    @Test func uniformIsAllOnes() {
        #expect(ClassWeighting.uniform.weights(labels: [[0, 0, 0, 1]], classes: 3) == [1, 1, 1])
    }

    @Test func weightsRoundTripThroughTheirTextForm() {
        let w: [Float] = [0.2137, 0.15, 0.4, 2.125, 0]
        #expect(ClassWeighting.parse(ClassWeighting.format(w), classes: 5) == w)
        #expect(ClassWeighting.parse("0.2, 0.3", classes: 2) == [0.2, 0.3])
        #expect(ClassWeighting.parse("0.2,0.3", classes: 3) == nil)
        #expect(ClassWeighting.parse("0.2,-1", classes: 2) == nil)
        #expect(ClassWeighting.parse("0.2,nan", classes: 2) == nil)
        #expect(ClassWeighting.parse("0.2,x", classes: 2) == nil)
    }

    /// The trainer uses the weighting named in the run's provenance, records the weights it used,
    /// and refuses a weighting it does not know.
    @Test func trainerRecordsItsWeighting() throws {
        let imgs = TrainingTests.syntheticSet(count: 2, size: 48, seed: 9)
        let plain = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32,
                                            state: TrainingTests.segState(steps: 2))
        #expect(plain.state.provenance["classWeighting"] == "inverse-sqrt")
        let w = plain.loss.classWeights
        #expect(w[1] > w[0], "discs are the rarer class: \(w)")
        #expect(ClassWeighting.parse(plain.state.provenance["classWeights"] ?? "", classes: 2) == w)

        var st = TrainingTests.segState(steps: 2)
        st.provenance["classWeighting"] = "uniform"
        let uniform = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32, state: st)
        #expect(uniform.loss.classWeights == [1, 1])
        #expect(uniform.state.provenance["classWeights"] == "1.0,1.0")

        st.provenance["classWeighting"] = "inverse"
        #expect { try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32, state: st) }
            throws: { "\($0)".contains("inverse") }
    }
}
