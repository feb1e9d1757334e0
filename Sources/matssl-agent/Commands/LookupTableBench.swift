import Foundation
import QuantKernels

/// The requantizing concat copy's table lookup (`qk_u8_lut_apply`), plain C against AVX-512 VBMI,
/// one thread, on the decoder concats of MatSSL-Lite at a width x height input, as
/// `Int8GraphRunner` runs them (upsample fused): the deeper features are requantized at half size
/// into a contiguous [pixels/4][c_up] buffer, the skip into its channel slice of the
/// [pixels][c_up + c_skip] concat. Part of `bench-kernels`.
enum LookupTableBench {
    /// (name, pixels, c_up, c_skip) for a width x height input.
    static func concats(width: Int, height: Int) -> [(String, Int, Int, Int)] {
        [("dec0 256+128 @1/16", 16, 256, 128), ("dec1 128+64 @1/8", 8, 128, 64),
         ("dec2 64+32 @1/4", 4, 64, 32), ("dec3 32+32 @1/2", 2, 32, 32)]
            .map { ($0.0, (width / $0.1) * (height / $0.1), $0.2, $0.3) }
    }

    /// Prints a markdown table: ms per concat for each path, and the speed-up.
    static func report(width: Int, height: Int, repeats: Int) {
        print("\n## Requantize table lookup (concat copies), 1 thread\n")
        var lut = [UInt8](repeating: 0, count: 256)
        for x in 0..<256 { lut[x] = UInt8(min(255, max(0, (Float(x - 17) * 0.61 + 9).rounded(.toNearestOrEven)))) }
        var probe: UInt8 = 0
        let vbmi = qk_u8_lut_apply(lut, [0], 1, 1, 1, &probe, 1, Int32(QK_LUT_VBMI.rawValue)) == 0
        print("| concat | pixels | MB written | ref ms | " + (vbmi ? "vbmi ms | speed-up |" : "vbmi |"))
        print("|---|---|---|---|---|" + (vbmi ? "---|" : ""))
        var totalRef = 0.0, totalVbmi = 0.0
        for (name, pixels, cUp, cSkip) in concats(width: width, height: height) {
            let osx = cUp + cSkip
            var rng = SystemRandomNumberGenerator()
            let upPixels = pixels / 4
            let up = (0..<(upPixels * cUp)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let skip = (0..<(pixels * cSkip)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var small = [UInt8](repeating: 0, count: upPixels * cUp)
            var out = [UInt8](repeating: 0, count: pixels * osx)
            func time(_ path: qk_lut_path) -> Double {
                BenchKernelsCommand.best(repeats) {
                    let p = Int32(path.rawValue)
                    precondition(qk_u8_lut_apply(lut, up, upPixels, Int32(cUp), Int32(cUp), &small, Int32(cUp), p) == 0)
                    out.withUnsafeMutableBufferPointer { o in
                        precondition(qk_u8_lut_apply(lut, skip, pixels, Int32(cSkip), Int32(cSkip), o.baseAddress! + cUp, Int32(osx), p) == 0)
                    }
                }
            }
            let ref = time(QK_LUT_REF)
            totalRef += ref
            let mb = String(format: "%.1f", Double(upPixels * cUp + pixels * cSkip) / 1e6)
            if vbmi {
                let v = time(QK_LUT_VBMI)
                totalVbmi += v
                print(String(format: "| %@ | %d | %@ | %.3f | %.3f | %.1fx |", name, pixels, mb, ref * 1000, v * 1000, ref / v))
            } else {
                print(String(format: "| %@ | %d | %@ | %.3f | not on this CPU |", name, pixels, mb, ref * 1000))
            }
        }
        if vbmi { print(String(format: "| all four | | | %.3f | %.3f | %.1fx |", totalRef * 1000, totalVbmi * 1000, totalRef / totalVbmi)) }
    }
}
