import Kernels
import Testing
@testable import mpw

/// Misspelt names and other tools' flag names are answered with the one meant.
@Suite struct DidYouMeanTests {
    @Test func otherToolsFlagNamesNameOurs() throws {
        let trainHelp = TrainCommand.helpMessage(columns: 10_000)
        for (theirs, ours) in FlagSynonyms.ours {
            #expect(throws: (any Error).self, "\(theirs) is a real flag") { try MPW.parseAsRoot(["train", theirs, "1"]) }
            #expect(trainHelp.contains(ours + " "), "\(ours) is not a flag of mpw train")
        }
        do {
            try FlagSynonyms.check(["train", "--epochs", "3", "--learning-rate=0.05"])
            Issue.record("--learning-rate passed")
        } catch {
            #expect(MPW.message(for: error) == "Unknown option '--learning-rate'. Did you mean '--lr'?")
        }
        try FlagSynonyms.check(["train", "--lr", "0.05", "--out", "runs/x"])
    }

    @Test func closestNames() {
        let datasets = ["fashion-mnist", "mnist-idx", "cifar10", "cifar100", "cifar10.1", "folder"]
        #expect(NameSuggestion.closest(to: "mnist", among: datasets) == "mnist-idx")
        #expect(NameSuggestion.closest(to: "cifar", among: datasets) == "cifar10")
        #expect(NameSuggestion.closest(to: "CIFAR-10", among: datasets) == "cifar10")
        #expect(NameSuggestion.closest(to: "folders", among: datasets) == "folder")
        #expect(NameSuggestion.closest(to: "imagenet", among: datasets) == nil)
        #expect(NameSuggestion.closest(to: "resnt20", among: ["resnet20", "resnet110", "wrn-28-10"]) == "resnet20")
    }

    @Test(arguments: [
        (["--dataset", "mnist"], "--dataset mnist is not a dataset; did you mean mnist-idx?"),
        (["--model", "resnet-20"], "--model resnet-20: unknown model resnet-20; did you mean resnet20?"),
        (["--head", "mpw2"], "--head mpw2 is not a head; did you mean mpw?"),
    ])
    func trainValuesSuggestTheClosest(_ arguments: [String], _ start: String) {
        do {
            _ = try TrainCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = TrainCommand.message(for: error)
            #expect(message.hasPrefix(start) && !message.contains("\n"), "\(message)")
        }
    }
}
