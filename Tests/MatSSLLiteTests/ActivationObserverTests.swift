import Foundation
@testable import MatSSLLite
import Testing

@Suite("Activation calibration")
struct ActivationObserverTests {
    private func observe(_ values: [Float], bins: Int = 512) -> ActivationObserver {
        var o = ActivationObserver(binCount: bins)
        values.withUnsafeBufferPointer { o.observeRange($0) }
        values.withUnsafeBufferPointer { o.observeHistogram($0) }
        return o
    }

    @Test func minMaxCoversEverything() {
        let o = observe([0, 0.5, 3.0, 1.25])
        #expect(o.isNonNegative)
        #expect(o.threshold(method: .minmax) == 3.0)
        let signed = observe([-4, 1, 2])
        #expect(!signed.isNonNegative)
        #expect(signed.threshold(method: .minmax) == 4)
    }

    @Test func percentileClipsARareOutlier() {
        // 9,999 values spread over [0, 1) and one outlier at 100.
        var values = (0..<9_999).map { Float($0) / 9_999 }
        values.append(100)
        let o = observe(values, bins: 2048)
        let t = o.threshold(method: .percentile, percentile: 99.9)
        #expect(t > 0.9 && t < 1.2, "threshold \(t)")
        #expect(o.threshold(method: .minmax) == 100)
    }

    @Test func entropyClipsALongTailButKeepsAUniformRange() {
        // Uniform data: clipping only loses information, the threshold stays near the maximum.
        let uniform = observe((0..<20_000).map { Float($0 % 1000) / 1000 }, bins: 1024)
        let tu = uniform.threshold(method: .entropy, levels: 128)
        #expect(tu > 0.85, "uniform threshold \(tu)")
        // Exponential-like data with a far outlier: the threshold moves well below the outlier.
        var tail: [Float] = []
        for i in 0..<20_000 { tail.append(-log(Float(i + 1) / 20_001)) }  // max ≈ 9.9
        tail.append(60)
        let o = observe(tail, bins: 1024)
        let t = o.threshold(method: .entropy, levels: 128)
        #expect(t < 30 && t > 2, "tail threshold \(t)")
    }
}
