import Testing
import QuantKernels

/// The fast conv (im2col + sgemm, image grouping, row chunking) against its direct-loop twin.
@Suite(.serialized) struct F32ConvTests {
    static let tolerance: Float = 1e-4  // relative to the output's max magnitude

    static func rand(_ n: Int, _ seed: inout UInt64) -> [Float] {
        (0..<n).map { _ in
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: seed >> 11) % 2000) / 1000 - 1
        }
    }

    static func maxRelDiff(_ a: [Float], _ b: [Float]) -> Float {
        let scale = max(b.map { abs($0) }.max() ?? 1, 1e-6)
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    /// Runs forward and backward against the reference twins. The geometry carries the kernel
    /// thread count and im2col budget (no process-wide setting is touched: other suites run fp32
    /// kernels in parallel), and the workspace is followed by a guard region that must stay untouched.
    func check(n: Int, cin: Int, h: Int, w: Int, cout: Int, k: Int, stride: Int, pad: Int, budget: Int, threads: Int32) {
        var g = qk_conv_geom(n: Int32(n), cin: Int32(cin), h: Int32(h), w: Int32(w), cout: Int32(cout), kh: Int32(k), kw: Int32(k),
                             stride: Int32(stride), pad: Int32(pad), ho: 0, wo: 0, threads: 0, col_budget: 0)
        qk_conv_geom_finish(&g)
        g.threads = threads
        g.col_budget = budget
        let what = "n\(n) c\(cin) \(h)x\(w) k\(k) s\(stride) p\(pad) budget \(budget) threads \(threads)"
        var seed: UInt64 = 42
        let x = Self.rand(n * cin * h * w, &seed), wt = Self.rand(cout * cin * k * k, &seed), b = Self.rand(cout, &seed)
        let ycount = n * cout * Int(g.ho * g.wo)
        let dy = Self.rand(ycount, &seed)
        let wsCount = qk_conv_workspace_floats(&g), guardCount = max(256, wsCount), sentinel: Float = 12345.5
        var ws = [Float](repeating: .nan, count: wsCount) + [Float](repeating: sentinel, count: guardCount)
        var y = [Float](repeating: 0, count: ycount), yr = y
        qk_f32_conv2d_forward(&g, x, wt, b, &y, &ws)
        qk_f32_conv2d_forward_ref(&g, x, wt, b, &yr)
        #expect(Self.maxRelDiff(y, yr) < Self.tolerance, "forward \(what)")
        var dx = [Float](repeating: 0.5, count: x.count), dxr = dx
        var dw = [Float](repeating: 0.25, count: wt.count), dwr = dw
        var db = [Float](repeating: 0, count: cout), dbr = db
        qk_f32_conv2d_backward(&g, x, wt, dy, &dx, &dw, &db, &ws)
        qk_f32_conv2d_backward_ref(&g, x, wt, dy, &dxr, &dwr, &dbr)
        #expect(Self.maxRelDiff(dx, dxr) < Self.tolerance, "dx \(what)")
        #expect(Self.maxRelDiff(dw, dwr) < Self.tolerance, "dw \(what)")
        #expect(Self.maxRelDiff(db, dbr) < Self.tolerance, "db \(what)")
        #expect(ws[wsCount...].allSatisfy { $0 == sentinel }, "workspace overrun: \(what)")
    }

    @Test(arguments: [0, 300, 100_000], [1, 2, 3])
    func convMatchesReference(budget: Int, threads: Int32) {
        check(n: 3, cin: 2, h: 9, w: 7, cout: 5, k: 3, stride: 1, pad: 1, budget: budget, threads: threads)
        check(n: 2, cin: 3, h: 11, w: 10, cout: 4, k: 3, stride: 2, pad: 1, budget: budget, threads: threads)
        check(n: 2, cin: 1, h: 13, w: 12, cout: 3, k: 7, stride: 2, pad: 3, budget: budget, threads: threads)
        check(n: 3, cin: 4, h: 6, w: 5, cout: 3, k: 1, stride: 1, pad: 0, budget: budget, threads: threads)
        check(n: 2, cin: 4, h: 7, w: 6, cout: 3, k: 1, stride: 2, pad: 0, budget: budget, threads: threads)
        check(n: 1, cin: 2, h: 5, w: 5, cout: 2, k: 3, stride: 1, pad: 0, budget: budget, threads: threads)
        check(n: 5, cin: 3, h: 8, w: 8, cout: 4, k: 3, stride: 1, pad: 1, budget: budget, threads: threads)
    }

    /// The geometry takes the process's kernel thread count and the default budget when it is made.
    @Test func geometryRecordsHowItWillRun() {
        var g = qk_conv_geom(n: 4, cin: 2, h: 8, w: 8, cout: 3, kh: 3, kw: 3, stride: 1, pad: 1, ho: 0, wo: 0, threads: 0, col_budget: 0)
        qk_conv_geom_finish(&g)
        #expect(g.ho == 8 && g.wo == 8)
        #expect(g.threads == qk_f32_threads() && g.col_budget == 1 << 21)
    }
}
