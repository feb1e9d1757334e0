@testable import matssl_agent
import QuantKernels
import Testing

@Suite("OpenBLAS core-type correction")
struct OpenBLASCoreTypeTests {
    @Test func avx512CPUWantsSkylakeX() {
        let all = QK_CPU_AVX2 | QK_CPU_FMA | QK_CPU_AVX512F | QK_CPU_AVX512BW
            | QK_CPU_AVX512VL | QK_CPU_AVX512DQ
        #expect(OpenBLASCoreType.idealCoreType(features: UInt32(all)) == "SkylakeX")
        #expect(OpenBLASCoreType.idealCoreType(features: UInt32(QK_CPU_AVX2 | QK_CPU_FMA)) == "Haswell")
        #expect(OpenBLASCoreType.idealCoreType(features: 0) == nil)
    }

    @Test func prescottIsAFallbackButBetterCoresAreNot() {
        #expect(OpenBLASCoreType.isFallback(current: "Prescott", ideal: "SkylakeX"))
        #expect(OpenBLASCoreType.isFallback(current: "Haswell", ideal: "SkylakeX"))
        #expect(!OpenBLASCoreType.isFallback(current: "SkylakeX", ideal: "SkylakeX"))
        #expect(!OpenBLASCoreType.isFallback(current: "CooperLake", ideal: "SkylakeX"))
        #expect(!OpenBLASCoreType.isFallback(current: "SomethingNew", ideal: "SkylakeX"))
    }

    /// In the test process itself the library has already loaded; it reports a real family name.
    @Test func libraryReportsACoreName() {
        #expect(!String(cString: qk_blas_corename()).isEmpty)
    }
}
