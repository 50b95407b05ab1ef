import Testing
@testable import mpw

/// The small words of messages: counts agree with their nouns, folders print with one slash.
@Suite struct MessageWordingTests {
    @Test func countsAgreeWithTheirNouns() {
        #expect(counted(1, "step") == "1 step" && counted(2, "step") == "2 steps" && counted(0, "thread") == "0 threads")
        #expect(counted(1, "full batch", plural: "full batches") == "1 full batch" && counted(3, "full batch", plural: "full batches") == "3 full batches")
    }

    @Test func explainFoldersLoseTrailingSlashes() {
        #expect(ExplainCommand.folder("explain/") == "explain" && ExplainCommand.folder("out//") == "out")
        #expect(ExplainCommand.folder("/") == "/" && ExplainCommand.folder("explain") == "explain")
    }
}
