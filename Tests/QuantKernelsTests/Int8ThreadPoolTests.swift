import QuantKernels
import Testing

/// The persistent pool the int8 kernels split rows over.
@Suite("int8 thread pool", .serialized)
struct Int8ThreadPoolTests {
    /// Every thread id 0..<n runs exactly once per call, with nth = the pool size, call after call
    /// (a worker must never miss a call posted before it first waited).
    @Test func everyThreadRunsOncePerCall() {
        let saved = qk_get_num_threads()
        defer { qk_set_num_threads(saved) }
        for n in [1, 2, 3, 5] {
            qk_set_num_threads(Int32(n))
            #expect(qk_pool_threads() == Int32(n))
            #expect(qk_get_num_threads() == Int32(n))
            for _ in 0..<50 {
                var hits = [Int32](repeating: 0, count: 8 + 1)  // [0..7]: per tid, [8]: nth seen
                hits.withUnsafeMutableBufferPointer { buf in
                    qk_pool_run({ ctx, tid, nth in
                        let p = ctx!.assumingMemoryBound(to: Int32.self)
                        p[Int(tid)] += 1
                        p[8] = nth
                    }, buf.baseAddress, 8)
                }
                #expect(Array(hits[0..<n]) == [Int32](repeating: 1, count: n), "n=\(n)")
                #expect(hits[n..<8].allSatisfy { $0 == 0 }, "n=\(n)")
                #expect(hits[8] == Int32(n))
            }
        }
    }

    /// max_threads caps the split; a nonsense thread count is clamped, never fatal.
    @Test func maxThreadsCapsTheSplit() {
        let saved = qk_get_num_threads()
        defer { qk_set_num_threads(saved) }
        qk_set_num_threads(4)
        var hits = [Int32](repeating: 0, count: 9)
        hits.withUnsafeMutableBufferPointer { buf in
            qk_pool_run({ ctx, tid, nth in
                let p = ctx!.assumingMemoryBound(to: Int32.self)
                p[Int(tid)] += 1
                p[8] = nth
            }, buf.baseAddress, 2)
        }
        #expect(hits[0] == 1 && hits[1] == 1 && hits[2] == 0 && hits[8] == 2)
        qk_set_num_threads(0)
        #expect(qk_get_num_threads() == 1)
        qk_set_num_threads(1000)
        #expect(qk_get_num_threads() == 64)
    }
}
