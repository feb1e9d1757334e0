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

@Suite("bench-train command")
struct BenchTrainCommandTests {
    @Test func badOptionsAreRefused() {
        #expect(throws: (any Error).self) { try BenchTrainCommand.parse(["--threads", "0"]) }
        #expect(throws: (any Error).self) { try BenchTrainCommand.parse(["--threads", "1,x"]) }
        #expect(throws: (any Error).self) { try BenchTrainCommand.parse(["--finetune-crop", "100"]) }
        #expect(throws: (any Error).self) { try BenchTrainCommand.parse(["--ssl-batch", "1"]) }
        #expect(throws: (any Error).self) { try BenchTrainCommand.parse(["--steps", "0"]) }
    }

    /// A tiny run of both phases (prints its table into the test log).
    @Test func tinyRunCompletes() throws {
        let cmd = try BenchTrainCommand.parse(["--threads", "1", "--steps", "1", "--warmup", "0", "--ssl-batch", "2",
                                               "--ssl-crop", "64", "--finetune-batch", "1", "--finetune-crop", "64"])
        #expect(cmd.threadCounts == [1])
        try cmd.run()
    }
}
