import ArgumentParser
import COpenBLAS
import Foundation
import QuantKernels

/// `matssl-agent bench-kernels`: int8 conv throughput per tier and thread count against fp32
/// (im2col + OpenBLAS sgemm) on the conv shapes of the MatSSL-Lite lite default (ResNet-18 depths
/// at half width, U-Net decoder) at one image size, with peak loops measured in the same run.
/// Run a release build (`swift build -c release`); numbers from a debug build mean nothing.
struct BenchKernelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-kernels",
        abstract: "Benchmark the int8 and fp32 conv kernels on the model's conv shapes (release build).")

    @Option(help: "Input image size WIDTHxHEIGHT.")
    var size: String = "1024x704"

    @Option(help: "Comma-separated thread counts.")
    var threads: String = "1,2"

    @Option(help: "Comma-separated int8 tiers (ref, avx2, avxvnni, avx512vnni, amx); default: all this CPU supports except ref.")
    var tiers: String?

    @Option(help: "Timed repetitions per measurement (the best is kept).")
    var repeats: Int = 5

    @Flag(help: "Skip the fp32 (OpenBLAS) baseline.")
    var noF32 = false

    func run() throws {
        let dims = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard dims.count == 2, dims[0] >= 64, dims[1] >= 64 else { throw ValidationError("--size must be WIDTHxHEIGHT, each >= 64") }
        let threadCounts = threads.split(separator: ",").compactMap { Int($0) }.filter { $0 >= 1 }
        guard !threadCounts.isEmpty else { throw ValidationError("--threads needs at least one count >= 1") }
        let tierIDs: [Int32]
        if let tiers {
            tierIDs = try tiers.split(separator: ",").map { name in
                guard let t = (0..<Int32(QK_TIER_COUNT.rawValue)).first(where: { String(cString: qk_int8_tier_name($0)) == name }) else {
                    throw ValidationError("unknown tier \(name)")
                }
                guard qk_int8_tier_supported(t) != 0 else { throw ValidationError("this CPU lacks tier \(name)") }
                return t
            }
        } else {
            tierIDs = (1..<Int32(QK_TIER_COUNT.rawValue)).filter { qk_int8_tier_supported($0) != 0 }
        }
        let shapes = BenchShape.model(width: dims[0], height: dims[1])
        let totalGop = shapes.reduce(0.0) { $0 + $1.gop * Double($1.count) }

        print("# bench-kernels")
        let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("load average at start: \(load) (other processes share these cores: compare against the peaks of this run)")
        print("cpu: \(Self.cpuModel()), OpenBLAS core \(String(cString: qk_blas_corename())), input \(dims[0])x\(dims[1]), model convs \(String(format: "%.2f", totalGop)) GOP (mult-add = 2 ops)")
        print("active int8 tier (used by qk_int8_conv2d): \(String(cString: qk_int8_tier_name(qk_int8_active_tier())))")
        if let problem = qk_int8_tier_env_problem() { print("warning: \(String(cString: problem))") }
        var peaks = Peaks.measure()
        print(String(format: "peaks (1 thread, start): vpdpbusd zmm %.0f GOPS, vpdpbusd ymm %.0f GOPS, FMA zmm %.0f GFLOPS, AMX tdpbusd %.0f GOPS",
                     peaks.vnni512, peaks.avxvnni, peaks.fma, peaks.amx))

        // results[column] = per-shape seconds; column = "tier@threads"
        var columns: [String] = []
        var seconds: [String: [Double]] = [:]
        let savedThreads = qk_get_num_threads()
        defer { qk_set_num_threads(savedThreads) }
        let started = Date()
        for (i, shape) in shapes.enumerated() {
            let data = BenchData(shape)
            defer { data.free() }
            if data.needsIm2col { data.im2col() }  // runGemm reads the columns
            for t in threadCounts {
                qk_set_num_threads(Int32(t))
                for tier in tierIDs {
                    let col = "\(String(cString: qk_int8_tier_name(tier)))@\(t)"
                    if !columns.contains(col) { columns.append(col) }
                    seconds[col, default: []].append(Self.best(repeats) { data.runInt8(tier: tier) })
                }
                if !noF32 {
                    // fp32 = im2col + sgemm (what a conv costs); sgemm alone is listed too so the
                    // comparison does not rest on the speed of this small im2col.
                    let im2col = data.needsIm2col ? Self.best(repeats) { data.im2col() } : 0
                    let gemm = Self.best(repeats) { data.runGemm() }
                    for (col, sec) in [("fp32@\(t)", im2col + gemm), ("sgemm@\(t)", gemm)] {
                        if !columns.contains(col) { columns.append(col) }
                        seconds[col, default: []].append(sec)
                    }
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            let eta = elapsed / Double(i + 1) * Double(shapes.count - i - 1)
            FileHandle.standardError.write("bench-kernels: shape \(i + 1)/\(shapes.count) \(shape.name) done, ETA \(Int(eta)) s\n".data(using: .utf8)!)
        }
        let endLoad = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
        print("load average at end: \(endLoad)")
        let endPeaks = Peaks.measure()
        peaks = peaks.max(endPeaks)
        print(String(format: "peaks (1 thread, best of start/end): vpdpbusd zmm %.0f GOPS, vpdpbusd ymm %.0f GOPS, FMA zmm %.0f GFLOPS, AMX tdpbusd %.0f GOPS",
                     peaks.vnni512, peaks.avxvnni, peaks.fma, peaks.amx))

        func peak(_ col: String) -> Double {
            let parts = col.split(separator: "@")
            let t = Double(parts[1])!
            switch parts[0] {
            case "amx": return peaks.amx * t
            case "fp32", "sgemm": return peaks.fma * t
            case "avxvnni", "avx2": return peaks.avxvnni * t
            default: return peaks.vnni512 * t
            }
        }

        print("\n## Per shape: GOPS (% of the matching peak: VNNI zmm for avx512vnni/ref, VNNI ymm for avxvnni/avx2, AMX for amx, FMA for fp32; x threads)\n")
        print("| shape | count | GOP | " + columns.joined(separator: " | ") + " |")
        print("|---|---|---|" + columns.map { _ in "---" }.joined(separator: "|") + "|")
        for (i, s) in shapes.enumerated() {
            let cells = columns.map { col -> String in
                let g = s.gop / seconds[col]![i]
                return String(format: "%.0f (%.0f%%)", g, 100 * g / peak(col))
            }
            print("| \(s.name) | \(s.count) | \(String(format: "%.3f", s.gop)) | " + cells.joined(separator: " | ") + " |")
        }

        print("\n## Whole model (count-weighted sum over the conv shapes)\n")
        print("| kernel@threads | ms | GOPS | % of peak | speed-up vs fp32 (im2col+sgemm) | vs sgemm alone |")
        print("|---|---|---|---|---|---|")
        var total: [String: Double] = [:]
        for col in columns {
            total[col] = zip(shapes, seconds[col]!).reduce(0.0) { $0 + Double($1.0.count) * $1.1 }
        }
        for col in columns {
            let sec = total[col]!, gops = totalGop / sec
            let t = col.split(separator: "@")[1]
            let vs = total["fp32@\(t)"].map { String(format: "%.2fx", $0 / sec) } ?? "-"
            let vsGemm = total["sgemm@\(t)"].map { String(format: "%.2fx", $0 / sec) } ?? "-"
            print(String(format: "| %@ | %.1f | %.0f | %.0f%% | %@ | %@ |", col, sec * 1000, gops, 100 * gops / peak(col), vs, vsGemm))
        }
        for t in threadCounts {
            if let amx = total["amx@\(t)"], let vnni = total["avx512vnni@\(t)"] {
                print(String(format: "\nAMX vs AVX-512 VNNI, %d thread(s): %.2fx", t, vnni / amx))
            }
        }
        LookupTableBench.report(width: dims[0], height: dims[1], repeats: repeats)
    }

    /// Best wall time of at least `n` runs and at least 0.25 s of runs (capped at 200 runs) after
    /// one warm-up: on a shared, noisy VM the minimum is the figure that reflects the kernel.
    static func best(_ n: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity, spent = 0.0, runs = 0
        while runs < max(1, n) || (spent < 0.25 && runs < 200) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) * 1e-9
            best = min(best, dt)
            spent += dt
            runs += 1
        }
        return best
    }

    static func cpuModel() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) else { return "unknown" }
        let cpus = info.split(separator: "\n").filter { $0.hasPrefix("processor") }.count
        return line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces) + " (\(cpus) logical CPUs)"
    }
}

/// Peak loops of one thread (qk_peak.h), in G(FL)OPS.
struct Peaks {
    var vnni512 = 0.0, avxvnni = 0.0, fma = 0.0, amx = 0.0
    static func measure() -> Peaks {
        Peaks(vnni512: qk_peak_vnni512_gops(0.3), avxvnni: qk_peak_avxvnni_gops(0.3),
              fma: qk_peak_fma512_gflops(0.3), amx: qk_peak_amx_gops(0.3))
    }
    func max(_ o: Peaks) -> Peaks {
        Peaks(vnni512: Swift.max(vnni512, o.vnni512), avxvnni: Swift.max(avxvnni, o.avxvnni),
              fma: Swift.max(fma, o.fma), amx: Swift.max(amx, o.amx))
    }
}

/// One conv of the model: NHWC input h x w x cin, kernel k x k, stride, `count` occurrences.
struct BenchShape {
    var name: String
    var h: Int, w: Int, cin: Int, cout: Int, k: Int, stride: Int
    var count = 1
    var outH: Int { (h + 2 * (k / 2) - k) / stride + 1 }
    var outW: Int { (w + 2 * (k / 2) - k) / stride + 1 }
    var gop: Double { 2.0 * Double(outH * outW * cout * k * k * cin) / 1e9 }

    /// MatSSL-Lite's convs at a width x height input (`ModelConfig` defaults, docs/training.md):
    /// ResNet-18 depths at widths 32/64/128/256, 7x7/2 stem + 3x3/2 max-pool, stages at strides
    /// 4/8/16/32; U-Net decoder blocks at strides 16/8/4/2/1 with widths 128/64/32/16/8 (2x upsample,
    /// concat skip — stage 3, 2, 1, the stem, none at full resolution — two 3x3 convs each), then the
    /// 1x1 classifier (5 classes) at full resolution.
    static func model(width: Int, height: Int) -> [BenchShape] {
        let h2 = height / 2, w2 = width / 2, h4 = h2 / 2, w4 = w2 / 2
        let h8 = h4 / 2, w8 = w4 / 2, h16 = h8 / 2, w16 = w8 / 2, h32 = h16 / 2, w32 = w16 / 2
        return [
            BenchShape(name: "stem 7x7/2 1->32", h: height, w: width, cin: 1, cout: 32, k: 7, stride: 2),
            BenchShape(name: "layer1 3x3 32->32", h: h4, w: w4, cin: 32, cout: 32, k: 3, stride: 1, count: 4),
            BenchShape(name: "layer2.0 3x3/2 32->64", h: h4, w: w4, cin: 32, cout: 64, k: 3, stride: 2),
            BenchShape(name: "layer2.0 down 1x1/2 32->64", h: h4, w: w4, cin: 32, cout: 64, k: 1, stride: 2),
            BenchShape(name: "layer2 3x3 64->64", h: h8, w: w8, cin: 64, cout: 64, k: 3, stride: 1, count: 3),
            BenchShape(name: "layer3.0 3x3/2 64->128", h: h8, w: w8, cin: 64, cout: 128, k: 3, stride: 2),
            BenchShape(name: "layer3.0 down 1x1/2 64->128", h: h8, w: w8, cin: 64, cout: 128, k: 1, stride: 2),
            BenchShape(name: "layer3 3x3 128->128", h: h16, w: w16, cin: 128, cout: 128, k: 3, stride: 1, count: 3),
            BenchShape(name: "layer4.0 3x3/2 128->256", h: h16, w: w16, cin: 128, cout: 256, k: 3, stride: 2),
            BenchShape(name: "layer4.0 down 1x1/2 128->256", h: h16, w: w16, cin: 128, cout: 256, k: 1, stride: 2),
            BenchShape(name: "layer4 3x3 256->256", h: h32, w: w32, cin: 256, cout: 256, k: 3, stride: 1, count: 3),
            BenchShape(name: "dec0 3x3 (256+128)->128", h: h16, w: w16, cin: 384, cout: 128, k: 3, stride: 1),
            BenchShape(name: "dec0 3x3 128->128", h: h16, w: w16, cin: 128, cout: 128, k: 3, stride: 1),
            BenchShape(name: "dec1 3x3 (128+64)->64", h: h8, w: w8, cin: 192, cout: 64, k: 3, stride: 1),
            BenchShape(name: "dec1 3x3 64->64", h: h8, w: w8, cin: 64, cout: 64, k: 3, stride: 1),
            BenchShape(name: "dec2 3x3 (64+32)->32", h: h4, w: w4, cin: 96, cout: 32, k: 3, stride: 1),
            BenchShape(name: "dec2 3x3 32->32", h: h4, w: w4, cin: 32, cout: 32, k: 3, stride: 1),
            BenchShape(name: "dec3 3x3 (32+32)->16", h: h2, w: w2, cin: 64, cout: 16, k: 3, stride: 1),
            BenchShape(name: "dec3 3x3 16->16", h: h2, w: w2, cin: 16, cout: 16, k: 3, stride: 1),
            BenchShape(name: "dec4 3x3 16->8", h: height, w: width, cin: 16, cout: 8, k: 3, stride: 1),
            BenchShape(name: "dec4 3x3 8->8", h: height, w: width, cin: 8, cout: 8, k: 3, stride: 1),
            BenchShape(name: "head 1x1 8->5", h: height, w: width, cin: 8, cout: 5, k: 1, stride: 1),
        ]
    }
}

/// Random u8/s8 data for one shape, its packed weights, and fp32 copies for the sgemm baseline.
final class BenchData {
    let s: BenchShape
    var params = qk_conv_params()
    let input: UnsafeMutablePointer<UInt8>, output: UnsafeMutablePointer<UInt8>
    let packed: OpaquePointer
    let bias: [Int32], mult: [Float]
    let inputF: UnsafeMutablePointer<Float>, weightsF: UnsafeMutablePointer<Float>
    let colsF: UnsafeMutablePointer<Float>, outputF: UnsafeMutablePointer<Float>
    let kdim: Int

    init(_ s: BenchShape) {
        self.s = s
        let nIn = s.h * s.w * s.cin, nOut = s.outH * s.outW * s.cout
        kdim = s.k * s.k * s.cin
        input = .allocate(capacity: nIn)
        output = .allocate(capacity: nOut)
        var rng = SystemRandomNumberGenerator()
        for i in 0..<nIn { input[i] = UInt8.random(in: 0...255, using: &rng) }
        let w = (0..<(s.cout * kdim)).map { _ in Int8.random(in: -127...127, using: &rng) }
        packed = qk_int8_pack_weights(w, Int32(s.cout), Int32(s.k), Int32(s.k), Int32(s.cin))
        bias = [Int32](repeating: 100, count: s.cout)
        mult = [Float](repeating: 1 / Float(kdim * 64), count: s.cout)
        params.n = 1; params.h = Int32(s.h); params.w = Int32(s.w); params.cin = Int32(s.cin); params.cout = Int32(s.cout)
        params.kh = Int32(s.k); params.kw = Int32(s.k); params.stride_h = Int32(s.stride); params.stride_w = Int32(s.stride)
        let pad = Int32(s.k / 2)
        params.pad_top = pad; params.pad_left = pad; params.pad_bottom = pad; params.pad_right = pad
        params.dilation = 1; params.relu = 1
        inputF = .allocate(capacity: nIn)
        for i in 0..<nIn { inputF[i] = Float(input[i]) / 255 }
        weightsF = .allocate(capacity: s.cout * kdim)
        for i in 0..<(s.cout * kdim) { weightsF[i] = Float(w[i]) / 127 }
        colsF = .allocate(capacity: s.outH * s.outW * kdim)
        outputF = .allocate(capacity: nOut)
    }

    func free() {
        qk_int8_free_packed(packed)
        input.deallocate(); output.deallocate(); inputF.deallocate(); weightsF.deallocate()
        colsF.deallocate(); outputF.deallocate()
    }

    func runInt8(tier: Int32) {
        let st = qk_int8_conv2d_tier(tier, &params, packed, input, bias, mult, nil, output)
        precondition(st == 0, "int8 conv failed: \(st)")
    }

    /// fp32 baseline: im2col into [outH*outW][k*k*cin] (not needed for 1x1 stride 1), then
    /// out[outH*outW][cout] = cols x weights^T with cblas_sgemm (runGemm).
    var needsIm2col: Bool { !(s.k == 1 && s.stride == 1) }

    func runGemm() {
        let m = s.outH * s.outW
        let a = needsIm2col ? UnsafePointer(colsF) : UnsafePointer(inputF)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(s.cout), Int32(kdim),
                    1, a, Int32(kdim), weightsF, Int32(kdim), 0, outputF, Int32(s.cout))
    }

    /// NHWC im2col with zero padding: cols[oy*outW+ox][(ky*k+kx)*cin + c].
    func im2col() {
        let pad = s.k / 2, cin = s.cin, rowBytes = cin * MemoryLayout<Float>.stride
        for oy in 0..<s.outH {
            for ox in 0..<s.outW {
                var dst = colsF + (oy * s.outW + ox) * kdim
                for ky in 0..<s.k {
                    let iy = oy * s.stride - pad + ky
                    for kx in 0..<s.k {
                        let ix = ox * s.stride - pad + kx
                        if iy >= 0, iy < s.h, ix >= 0, ix < s.w {
                            memcpy(dst, inputF + (iy * s.w + ix) * cin, rowBytes)
                        } else {
                            memset(dst, 0, rowBytes)
                        }
                        dst += cin
                    }
                }
            }
        }
    }
}
