import ArgumentParser
import Testing
@testable import mpw

/// `mpw train --augment SPEC`: validated before any work, stored resolved, shown in the help.
@Suite struct AugmentFlagTests {
    @Test(arguments: [["--augment", "crop:x"], ["--augment", ""], ["--augment", "crop:4,rrc:0.5"], ["--augment", "none,flip"],
                      ["--resume", "runs/x", "--augment", "none"]])
    func badSpecsAreRejectedInOneLine(_ arguments: [String]) {
        do {
            _ = try TrainCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = TrainCommand.message(for: error)
            #expect(message.contains("--augment") && !message.contains("\n"), "\(arguments): \(message)")
        }
    }

    @Test func theEffectiveSpecIsStored() throws {
        #expect(try TrainCommand.parse([]).resolvedConfiguration().augment == "crop:4,flip")
        #expect(try TrainCommand.parse(["--dataset", "mnist-idx"]).resolvedConfiguration().augment == "crop:4")
        #expect(try TrainCommand.parse(["--dataset", "folder"]).resolvedConfiguration().augment == "rrc:0.08,flip")
        #expect(try TrainCommand.parse(["--augment", "flip,crop:2"]).resolvedConfiguration().augment == "crop:2,flip")
        #expect(try TrainCommand.parse(["--dataset", "mnist-idx", "--augment", "none"]).resolvedConfiguration().augment == "none")
    }

    @Test func theHelpShowsTheDefaults() {
        let help = TrainCommand.helpMessage(columns: 10_000)
        #expect(help.contains("crop:4,flip (fashion-mnist, cifar10, cifar100), crop:4 (mnist-idx), rrc:0.08,flip (folder)"))
    }
}
