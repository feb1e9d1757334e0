import Foundation
import Testing
@testable import MatSSLLite

@Suite struct IntensityJitterTests {
    /// A crop with values in 0.4…0.6: no jitter in either preset can clip it, so the output's mean
    /// is b·m and its standard deviation b·c·s; b and c can be read back exactly enough.
    static func crop() -> [Float] { (0..<256).map { 0.4 + 0.2 * Float(($0 * 37) % 256) / 255 } }

    static func meanStd(_ x: [Float]) -> (Double, Double) {
        let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
        let v = x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(x.count)
        return (m, v.squareRoot())
    }

    /// Over 4000 draws, each preset fires at its probability (±3 %) and its brightness and contrast
    /// factors stay in their ranges and reach close to both ends.
    @Test(arguments: IntensityJitter.allCases)
    func factorsAndProbabilityMatchThePreset(_ j: IntensityJitter) {
        let x0 = Self.crop()
        let (m0, s0) = Self.meanStd(x0)
        var fired = 0
        var bs: [Double] = [], cs: [Double] = []
        for k in 0..<4000 {
            var rng = RandomState(seed: 1234, stream: UInt64(k))
            var x = x0
            x.withUnsafeMutableBufferPointer { j.apply($0.baseAddress!, count: $0.count, rng: &rng) }
            if x == x0 { continue }
            fired += 1
            let (m, s) = Self.meanStd(x)
            let b = m / m0
            bs.append(b); cs.append(s / s0 / b)
        }
        #expect(abs(Double(fired) / 4000 - Double(j.probability)) < 0.03, "fired \(fired) of 4000")
        let eps = 1e-3
        let (bl, bh) = (Double(j.brightness.lowerBound), Double(j.brightness.upperBound))
        let (cl, ch) = (Double(j.contrast.lowerBound), Double(j.contrast.upperBound))
        #expect(bs.allSatisfy { $0 > bl - eps && $0 < bh + eps })
        #expect(cs.allSatisfy { $0 > cl - eps && $0 < ch + eps })
        #expect(bs.min()! < bl + 0.01 && bs.max()! > bh - 0.01, "brightness \(bs.min()!)…\(bs.max()!)")
        #expect(cs.min()! < cl + 0.01 && cs.max()! > ch - 0.01, "contrast \(cs.min()!)…\(cs.max()!)")
    }

    /// The strong preset covers the spread of MetalDAM's labeled images (mean grey 80–125, sd 23–44)
    /// around their middle; the mild one does not.
    @Test func strongCoversTheDataSpreadMildDoesNot() {
        func covers(_ j: IntensityJitter) -> Bool {
            let meanSpan = j.brightness.upperBound / j.brightness.lowerBound
            let sdSpan = meanSpan * j.contrast.upperBound / j.contrast.lowerBound
            return meanSpan >= 125.0 / 80 && sdSpan >= 44.0 / 23
        }
        #expect(covers(.strong))
        #expect(!covers(.mild))
    }

    /// The mild preset is the jitter the shipped models were trained with, draw for draw: held to
    /// a copy of the code it replaced (a run resumed across the change continues identically).
    @Test func mildIsTheFormerInlineJitter() {
        func former(_ out: inout [Float], rng: inout RandomState) {
            if rng.bool(0.5) {
                let b = rng.uniform(0.85, 1.15), c = rng.uniform(0.85, 1.15)
                let n = out.count
                var mean: Float = 0
                for i in 0..<n { mean += out[i] }
                mean /= Float(n)
                for i in 0..<n { out[i] = min(max(((out[i] - mean) * c + mean) * b, 0), 1) }
            }
        }
        var src = RandomState(seed: 7)
        for k in 0..<200 {
            let x0 = (0..<300).map { _ in src.uniform() }
            var a = x0, b = x0
            var r1 = RandomState(seed: 99, stream: UInt64(k)), r2 = r1
            former(&a, rng: &r1)
            b.withUnsafeMutableBufferPointer { IntensityJitter.mild.apply($0.baseAddress!, count: $0.count, rng: &r2) }
            #expect(a == b)
            #expect(r1 == r2, "the same number of draws")
        }
    }

    /// The trainer takes the jitter from the run's provenance (default mild), records it, and
    /// refuses one it does not know.
    @Test func trainerRecordsItsJitter() throws {
        let imgs = TrainingTests.syntheticSet(count: 2, size: 48, seed: 9)
        let plain = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32,
                                            state: TrainingTests.segState(steps: 2))
        #expect(plain.jitter == .mild)
        #expect(plain.state.provenance["intensityJitter"] == "mild")
        var st = TrainingTests.segState(steps: 2)
        st.provenance["intensityJitter"] = "strong"
        let strong = try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32, state: st)
        #expect(strong.jitter == .strong)
        st.provenance["intensityJitter"] = "wild"
        #expect { try SegmentationTrainer(config: TrainingTests.smallConfig(), images: imgs, batch: 2, crop: 32, state: st) }
            throws: { "\($0)".contains("wild") }
    }
}
