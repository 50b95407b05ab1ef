import ArgumentParser
import Testing
@testable import mpw

/// Bad flag values are rejected with a one-line message before any work starts.
@Suite struct FlagValidationTests {
    static let badTrainFlags: [[String]] = [
        ["--epochs", "0"], ["--batch", "-4"], ["--lr", "0"], ["--lr", "nan"], ["--momentum", "1"], ["--wd", "-1"],
        ["--warmup", "-2"], ["--label-smoothing", "1"], ["--limit-train", "0"], ["--workers", "-1"], ["--threads", "0"],
        ["--head", "softmax"], ["--proxies", "0"], ["--lambda", "0"], ["--p", "0.5"], ["--threshold", "-0.1"], ["--max-iter", "0"],
        ["--grad", "numerical"], ["--nesterov", "--momentum", "0"], ["--epochs", "three"],
        ["--resume", "runs/x", "--epochs", "3"], ["--resume", "runs/x", "--head", "gapfc", "--model", "resnet110"],
        ["--batchnorm", "global"], ["--bucket-mb", "0"], ["--collective-timeout", "-1"], ["--stop-after", "0"],
        ["--resume", "runs/x", "--batchnorm", "local"],
        // Fine-tuning flags without --init, out of range, or combined with --resume.
        ["--freeze-backbone"], ["--backbone-lr-scale", "0.1"], ["--proxy-noise", "0.1"],
        ["--init", "a.pth", "--backbone-lr-scale", "0"], ["--init", "a.pth", "--backbone-lr-scale", "inf"],
        ["--init", "a.pth", "--freeze-backbone", "--backbone-lr-scale", "0.5"], ["--init", "a.pth", "--proxy-noise", "-1"],
        ["--resume", "runs/x", "--init", "a.pth"],
    ]

    @Test(arguments: badTrainFlags)
    func trainRejects(_ arguments: [String]) {
        do {
            _ = try TrainCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = TrainCommand.message(for: error)
            #expect(!message.isEmpty && !message.contains("\n"), "\(arguments): \(message)")
        }
    }

    /// A minus sign is read as part of the value, so the message names the flag and the value.
    @Test(arguments: [
        (["--epochs", "-1"], "--epochs must be at least 1, got -1"), (["--lr", "-0.1"], "--lr must be positive, got -0.1"),
        (["--batch", "-4"], "--batch must be at least 1, got -4"), (["--wd", "-1"], "--wd must not be negative, got -1.0"),
        (["--threshold", "-0.1"], "--threshold must not be negative, got -0.1"), (["--threads", "-2"], "--threads must be at least 1, got -2"),
    ])
    func negativeNumbersAreValuesRefusedByName(_ arguments: [String], _ expected: String) {
        do {
            _ = try TrainCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            #expect(TrainCommand.message(for: error) == expected)
        }
    }

    /// The other commands' counts read a minus sign as part of the value too.
    @Test func otherCommandsRefuseNegativeCountsByName() {
        let cases: [(() throws -> Void, String)] = [
            ({ _ = try DemoCommand.parse(["--epochs", "-1"]) }, "--epochs must be at least 1, got -1"),
            ({ _ = try EvalCommand.parse(["--checkpoint", "c", "--batch", "-8"]) }, "--batch must be at least 1, got -8"),
            ({ _ = try PredictCommand.parse(["--checkpoint", "c", "--topk", "-3", "a.png"]) }, "--topk must be at least 1, got -3"),
            ({ _ = try ExplainCommand.parse(["--checkpoint", "c", "--prototypes", "--limit", "-5"]) }, "--limit must be at least 1, got -5"),
        ]
        for (parse, expected) in cases {
            do {
                try parse()
                Issue.record("\(expected): accepted")
            } catch {
                #expect(MPW.message(for: error) == expected)
            }
        }
    }

    @Test func trainAcceptsTheDocumentedForms() throws {
        let command = try TrainCommand.parse(["--dataset", "cifar10", "--data", "/d", "--model", "resnet110", "--head", "gapfc",
                                              "--schedule", "multistep:100,150", "--warmup", "1", "--epochs", "200", "--grad", "implicit"])
        let configuration = try command.resolvedConfiguration()
        #expect(configuration.model == "resnet110" && configuration.head.kind == "gapfc" && configuration.head.gradient == "implicit")
        #expect(configuration.schedule.description == "multistep:100,150 after 1.0 warm-up epochs")
        let defaults = try TrainCommand.parse([]).resolvedConfiguration()
        #expect(defaults.schedule.shape == .multiStep(milestones: [100, 150]) && defaults.learningRate == 0.1 && defaults.batchSize == 128)
        #expect(defaults.head.kind == "mpw" && defaults.head.proxies == 4 && defaults.head.lambda == 0.1 && defaults.head.maximumIterations == 100)
        #expect(throws: (any Error).self) { try TrainCommand.parse(["--schedule", "linear"]).resolvedConfiguration() }
    }

    @Test func otherCommandsRejectBadValues() {
        #expect(throws: (any Error).self) { try DemoCommand.parse(["--epochs", "0"]) }
        #expect(throws: (any Error).self) { try EvalCommand.parse([]) }
        #expect(throws: (any Error).self) { try EvalCommand.parse(["--checkpoint", "x", "--batch", "0"]) }
        #expect(throws: (any Error).self) { try TrainBench.parse(["--model", "vgg16"]) }
        #expect(throws: (any Error).self) { try HeadBench.parse(["--hw", "0"]) }
        #expect(throws: (any Error).self) { try GemmBench.parse(["--sizes", "0"]) }
    }
}
