import Testing
@testable import matssl_agent

@Suite("bench-segment command")
struct BenchSegmentCommandTests {
    @Test func threadListIsParsed() throws {
        let cmd = try BenchSegmentCommand.parse(["a.png", "--threads", "1, 2,4", "--runs", "3"])
        #expect(cmd.threadCounts == [1, 2, 4])
        #expect(cmd.runs == 3)
        #expect(cmd.tilePixelBudget == nil)
    }

    @Test func badCountsAreRefused() {
        #expect(throws: (any Error).self) { try BenchSegmentCommand.parse(["a.png", "--threads", "0"]) }
        #expect(throws: (any Error).self) { try BenchSegmentCommand.parse(["a.png", "--threads", "x"]) }
        #expect(throws: (any Error).self) { try BenchSegmentCommand.parse(["a.png", "--threads", "1,x"]) }
        #expect(throws: (any Error).self) { try BenchSegmentCommand.parse(["a.png", "--runs", "0"]) }
        #expect(throws: (any Error).self) { try BenchSegmentCommand.parse(["a.png", "--tile-pixel-budget", "0"]) }
    }
}
