import Foundation
import Logging
import QuantKernels

/// Debian's OpenBLAS 0.3.21 does not recognise recent Xeons and falls back to its generic "Prescott"
/// kernels (measured: 12.9 vs 80–97 GFLOPS sgemm on one core). The core type is fixed when the library
/// loads, so the agent checks it first thing and, on a fallback, re-executes itself with
/// `OPENBLAS_CORETYPE` set — unless the user set one, which is always respected.
enum OpenBLASCoreType {
    /// Marks the re-executed process so a library that still refuses the core type cannot loop.
    static let reexecMarker = "MATSSL_OPENBLAS_REEXEC"

    /// Kernel families in increasing capability, as OpenBLAS names them (case-insensitive).
    static let ranking: [String] = [
        "prescott", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge",
        "haswell", "zen", "skylakex", "cooperlake", "sapphirerapids",
    ]

    /// The best core type this CPU's features allow, given OpenBLAS 0.3.21's kernel families.
    static func idealCoreType(features: UInt32) -> String? {
        let avx512 = UInt32(QK_CPU_AVX512F | QK_CPU_AVX512BW | QK_CPU_AVX512VL | QK_CPU_AVX512DQ)
        if features & avx512 == avx512 { return "SkylakeX" }
        let avx2 = UInt32(QK_CPU_AVX2 | QK_CPU_FMA)
        if features & avx2 == avx2 { return "Haswell" }
        return nil
    }

    /// Whether `current` is a weaker kernel family than `ideal`; unknown names count as not weaker.
    static func isFallback(current: String, ideal: String) -> Bool {
        guard let c = ranking.firstIndex(of: current.lowercased()),
              let i = ranking.firstIndex(of: ideal.lowercased()) else { return false }
        return c < i
    }

    /// Re-executes the process with `OPENBLAS_CORETYPE` when OpenBLAS picked a generic fallback.
    /// Returns normally when nothing needs doing or the re-exec is impossible.
    static func ensureOptimalCoreType() {
        let env = ProcessInfo.processInfo.environment
        if env["OPENBLAS_CORETYPE"] != nil || env[reexecMarker] != nil { return }
        let current = String(cString: qk_blas_corename())
        guard let ideal = idealCoreType(features: qk_cpu_features()), isFallback(current: current, ideal: ideal) else { return }
        setenv("OPENBLAS_CORETYPE", ideal, 1)
        setenv(reexecMarker, current, 1)
        var args = CommandLine.arguments.map { strdup($0) }
        args.append(nil)
        execv("/proc/self/exe", &args)
        // execv only returns on failure: carry on with the slow kernels and say so later.
        unsetenv("OPENBLAS_CORETYPE")
        setenv(reexecMarker, "failed:\(String(cString: strerror(errno)))", 1)
    }

    /// Logs the kernel family in use (debug level unless something is off).
    static func logCoreInUse() {
        let logger = Logger(label: "openblas")
        let env = ProcessInfo.processInfo.environment
        let current = String(cString: qk_blas_corename())
        if let marker = env[reexecMarker] {
            if marker.hasPrefix("failed:") {
                logger.warning("OpenBLAS uses generic '\(current)' kernels and the re-exec to fix it failed (\(marker.dropFirst(7))); fp32 work will be slow")
            } else {
                logger.debug("OpenBLAS picked '\(marker)' at load; re-executed with OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "?"): kernels '\(current)'")
            }
        } else if let ideal = idealCoreType(features: qk_cpu_features()), isFallback(current: current, ideal: ideal) {
            logger.warning("OpenBLAS kernels '\(current)' are slower than this CPU allows ('\(ideal)'); OPENBLAS_CORETYPE=\(env["OPENBLAS_CORETYPE"] ?? "unset") was set by the user")
        } else {
            logger.debug("OpenBLAS kernels: \(current)")
        }
    }
}
