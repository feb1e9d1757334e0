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
        // The thread count is process-wide and tests in other suites (running in parallel) set it
        // too: an iteration during which it changed under us is repeated, not judged.
        for n in [1, 2, 3, 5] {
            var judged = 0, attempts = 0
            while judged < 50 && attempts < 500 {
                attempts += 1
                qk_set_num_threads(Int32(n))
                var hits = [Int32](repeating: 0, count: 8 + 1)  // [0..7]: per tid, [8]: nth seen
                hits.withUnsafeMutableBufferPointer { buf in
                    qk_pool_run({ ctx, tid, nth in
                        let p = ctx!.assumingMemoryBound(to: Int32.self)
                        p[Int(tid)] += 1
                        p[8] = nth
                    }, buf.baseAddress, 8)
                }
                guard qk_get_num_threads() == Int32(n), qk_pool_threads() == Int32(n), hits[8] == Int32(n) || hits[8] == 0 else { continue }
                judged += 1
                #expect(Array(hits[0..<n]) == [Int32](repeating: 1, count: n), "n=\(n)")
                #expect(hits[n..<8].allSatisfy { $0 == 0 }, "n=\(n)")
                #expect(hits[8] == Int32(n))
            }
            #expect(judged == 50, "n=\(n): only \(judged) of \(attempts) calls ran with an undisturbed thread count")
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

    /// The dynamic schedule covers every item exactly once, whatever the item count, chunk size and
    /// pool size (chunk 0 = the pool's choice; chunks larger than the range; one item).
    @Test func poolForCoversEveryItemOnce() {
        let saved = qk_get_num_threads()
        defer { qk_set_num_threads(saved) }
        for threads in [1, 2, 3] {
            qk_set_num_threads(Int32(threads))
            for n in [1, 2, 7, 64, 1001] {
                for chunk in [0, 1, 3, 5000] {
                    var hits = [Int32](repeating: 0, count: n)
                    hits.withUnsafeMutableBufferPointer { buf in
                        qk_pool_for(n, chunk, { ctx, begin, end in
                            let p = ctx!.assumingMemoryBound(to: Int32.self)
                            // Items are disjoint when the schedule is right; a range claimed twice
                            // (or never) shows as a count other than 1.
                            for i in Int(begin)..<Int(end) { p[i] += 1 }
                        }, buf.baseAddress, Int32(threads))
                    }
                    #expect(hits.allSatisfy { $0 == 1 }, "threads \(threads) n \(n) chunk \(chunk)")
                }
            }
        }
    }
}
