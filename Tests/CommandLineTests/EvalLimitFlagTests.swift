import ArgumentParser
import Testing
@testable import mpw

/// `mpw eval` names its test subset `--limit-test`, as train and demo do; `--limit` stays an alias.
@Suite struct EvalLimitFlagTests {
    @Test func bothNamesSetTheTestSubset() throws {
        #expect(try EvalCommand.parse(["--checkpoint", "c", "--limit-test", "7"]).limitTest == 7)
        #expect(try EvalCommand.parse(["--checkpoint", "c", "--limit", "9"]).limitTest == 9)
        #expect(try EvalCommand.parse(["--checkpoint", "c"]).limitTest == nil)
        #expect(try TrainCommand.parse(["--limit-test", "7"]).data.limitTest == 7)
        #expect(try DemoCommand.parse(["--limit-test", "7"]).limitTest == 7)
        #expect(EvalCommand.helpMessage(columns: 10_000).contains("--limit-test"))
    }

    @Test(arguments: [["--limit-test", "0"], ["--limit", "0"]])
    func badCountsAreRejectedInOneLine(_ flags: [String]) {
        do {
            _ = try EvalCommand.parse(["--checkpoint", "c"] + flags)
            Issue.record("\(flags) was accepted")
        } catch {
            let message = EvalCommand.message(for: error)
            #expect(message.contains("--limit-test") && !message.contains("\n"), "\(flags): \(message)")
        }
    }
}
