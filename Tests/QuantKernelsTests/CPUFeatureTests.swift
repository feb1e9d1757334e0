import Foundation
import QuantKernels
import Testing

@Suite("CPU feature detection")
struct CPUFeatureTests {
    /// The flags the kernels dispatch on must agree with what the kernel reports in /proc/cpuinfo.
    @Test func featuresAgreeWithProcCpuinfo() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            return  // not Linux/x86: nothing to compare against
        }
        let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
        let f = qk_cpu_features()
        let pairs: [(String, Int)] = [
            ("avx2", QK_CPU_AVX2), ("fma", QK_CPU_FMA), ("avx512f", QK_CPU_AVX512F),
            ("avx512bw", QK_CPU_AVX512BW), ("avx512_vnni", QK_CPU_AVX512VNNI),
            ("avx_vnni", QK_CPU_AVXVNNI), ("amx_int8", QK_CPU_AMXINT8),
        ]
        for (name, bit) in pairs {
            #expect((Int(f) & bit != 0) == flags.contains(name), "feature \(name)")
        }
    }
}
