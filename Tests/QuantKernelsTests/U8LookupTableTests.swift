import QuantKernels
import Testing

/// `qk_u8_lut_apply`: the AVX-512 VBMI table lookup (two 128-entry `vpermi2b` halves and a blend
/// on bit 7) must equal the plain C path and a naive Swift lookup byte for byte, on every table
/// entry, channel counts around the 64-byte vector width (masked tails), and strided pixels whose
/// other bytes stay untouched.
@Suite("u8 table lookup (requantize)")
struct U8LookupTableTests {
    /// What the CPU reports (AVX-512 F + BW + VBMI), independent of the code under test.
    static let vbmi: Bool = {
        let need = UInt32(QK_CPU_AVX512F | QK_CPU_AVX512BW | QK_CPU_AVX512VBMI)
        return qk_cpu_features() & need == need
    }()

    /// Runs the lookup on one path into a buffer prefilled with 0xA5.
    func run(_ lut: [UInt8], _ x: [UInt8], npix: Int, c: Int, isx: Int, osx: Int, off: Int, path: qk_lut_path) -> (Int32, [UInt8]) {
        var out = [UInt8](repeating: 0xA5, count: npix * osx)
        let st = out.withUnsafeMutableBufferPointer { o in
            qk_u8_lut_apply(lut, x, npix, Int32(c), Int32(isx), o.baseAddress! + off, Int32(osx), Int32(path.rawValue))
        }
        return (st, out)
    }

    @Test(arguments: [1, 7, 16, 63, 64, 65, 127, 128, 200])
    func everyPathEqualsANaiveLookup(c: Int) {
        var rng = Int8Rng(seed: UInt64(c))
        let lut = (0..<256).map { _ in rng.u8() }
        let (npix, isx, off) = (37, c + 3, 2)
        let osx = off + c + 5
        // Every byte value occurs (the first 256 input bytes are 0...255), then random ones.
        var x = (0..<(npix * isx)).map { _ in rng.u8() }
        for i in 0..<min(256, x.count) { x[i] = UInt8(i) }
        var ref = [UInt8](repeating: 0xA5, count: npix * osx)
        for p in 0..<npix { for i in 0..<c { ref[p * osx + off + i] = lut[Int(x[p * isx + i])] } }

        var paths: [qk_lut_path] = [QK_LUT_REF, QK_LUT_AUTO]
        if Self.vbmi { paths.append(QK_LUT_VBMI) }
        for path in paths {
            let (st, out) = run(lut, x, npix: npix, c: c, isx: isx, osx: osx, off: off, path: path)
            #expect(st == 0)
            let bad = zip(out, ref).filter { $0 != $1 }.count
            #expect(bad == 0, "path \(path.rawValue), c \(c): \(bad) of \(out.count) bytes differ")
        }
    }

    @Test func vbmiPathIsReportedWhereTheCPUHasIt() throws {
        // Either way something is checked: without VBMI the explicit path must be refused.
        var out = [UInt8](repeating: 0, count: 4)
        let st = qk_u8_lut_apply([UInt8](repeating: 7, count: 256), [1, 2, 3, 4], 1, 4, 4, &out, 4, Int32(QK_LUT_VBMI.rawValue))
        if Self.vbmi {
            #expect(st == 0 && out == [7, 7, 7, 7])
        } else {
            #expect(st == QK_ERR_UNSUPPORTED.rawValue && out == [0, 0, 0, 0])
            #expect(qk_u8_lut_vbmi_active() == 0)
        }
    }

    @Test func badArgumentsAreRejected() {
        let lut = [UInt8](repeating: 0, count: 256)
        var out = [UInt8](repeating: 9, count: 8)
        #expect(qk_u8_lut_apply(lut, [1, 2], 1, 0, 2, &out, 2, 0) == QK_ERR_ARG.rawValue)
        #expect(qk_u8_lut_apply(lut, [1, 2], 1, 2, 1, &out, 2, 0) == QK_ERR_ARG.rawValue)
        #expect(qk_u8_lut_apply(lut, [1, 2], 1, 2, 2, &out, 1, 0) == QK_ERR_ARG.rawValue)
        #expect(qk_u8_lut_apply(lut, [1, 2], 1, 2, 2, &out, 2, 9) == QK_ERR_ARG.rawValue)
        #expect(out == [UInt8](repeating: 9, count: 8))
    }
}
