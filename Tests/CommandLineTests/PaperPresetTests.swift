import ArgumentParser
import Testing
import Training
@testable import mpw

/// Presets resolve to the recipes their descriptions document, and explicit flags override them.
@Suite struct PaperPresetTests {
    static func resolved(_ arguments: [String]) throws -> TrainingConfiguration {
        try TrainCommand.parseWithPreset(arguments).resolvedConfiguration()
    }

    @Test func everyTableRowHasAPresetThatResolves() throws {
        #expect(PaperPresets.table(1).count == 12 && PaperPresets.table(2).count == 12)
        #expect(PaperPresets.table(3).count == 6 && PaperPresets.table(4).count == 14)
        #expect(Set(PaperPresets.all.map(\.name)).count == PaperPresets.all.count)
        for preset in PaperPresets.all {
            let configuration = try Self.resolved(["--preset", preset.name])
            #expect(configuration.preset == preset.name)
            #expect(configuration.model == preset.model && configuration.head.kind == preset.head && configuration.dataset == preset.dataset)
            #expect(configuration.learningRate == 0.1 && configuration.momentum == 0.9 && configuration.weightDecay == 5e-4, "\(preset.name)")
        }
        #expect(PaperPresets.named("table4-wrn40_2-bilinear")?.published.top1 == 74.00)
        #expect(PaperPresets.named("cifar10-wrn40_2-mpw")?.published.cifar10_1 == 89.20)
        #expect(PaperPresets.named("imagenet-resnet101-mpw")?.published.top5 == 93.87)
    }

    @Test func presetsCarryEachArchitecturesRecipe() throws {
        let wide = try Self.resolved(["--preset", "cifar100-wrn40_2-mpw"])
        #expect(wide.epochs == 200 && wide.batchSize == 128 && wide.nesterov && !wide.cutMix)
        #expect(wide.schedule.shape == .multiStep(milestones: [60, 120, 160]) && wide.schedule.factor == 0.2)
        #expect(wide.head.proxies == 4 && wide.head.lambda == 0.1 && wide.head.threshold == 0.1 && wide.head.maximumIterations == 100)
        #expect(wide.head.stopRule == "batch-absolute")
        #expect(try Self.resolved(["--preset", "cifar100-wrn40_2-mpw", "--stop-rule", "relative"]).head.stopRule == nil)
        let resnet = try Self.resolved(["--preset", "cifar10-resnet110-gapfc"])
        #expect(resnet.batchSize == 128 && !resnet.nesterov && resnet.schedule.shape == .multiStep(milestones: [100, 150]) && resnet.schedule.factor == nil)
        let dense = try Self.resolved(["--preset", "cifar10-densenet100-mpw"])
        #expect(dense.batchSize == 64 && dense.nesterov && dense.schedule.shape == .multiStep(milestones: [100, 150]))
        let pyramid = try Self.resolved(["--preset", "cifar100-pyramidnet200-gapfc"])
        #expect(pyramid.cutMix && pyramid.batchSize == 64 && pyramid.epochs == 200)
        let imageNet = try Self.resolved(["--preset", "imagenet-resnet50-mpw", "--data", "/imagenet"])
        #expect(imageNet.dataset == "folder" && imageNet.epochs == 90 && imageNet.batchSize == 256)
        #expect(imageNet.schedule.shape == .multiStep(milestones: [30, 60]))
        let table4 = try Self.resolved(["--preset", "table4-resnet20-wsdan"])
        #expect(table4.dataset == "cifar100" && table4.head.kind == "wsdan" && table4.head.proxies == 4)
    }

    @Test func explicitFlagsOverrideThePreset() throws {
        let configuration = try Self.resolved(["--epochs", "10", "--preset", "cifar100-wrn40_2-mpw", "--no-nesterov", "--head", "gapfc",
                                               "--batch", "32", "--dataset", "fashion-mnist"])
        #expect(configuration.epochs == 10 && configuration.batchSize == 32 && !configuration.nesterov)
        #expect(configuration.head.kind == "gapfc" && configuration.dataset == "fashion-mnist" && configuration.model == "wrn40_2")
        #expect(configuration.schedule.shape == .multiStep(milestones: [3, 6, 8]) && configuration.schedule.factor == 0.2)
        let pyramid = try Self.resolved(["--preset", "cifar10-pyramidnet200-mpw", "--no-cutmix", "--schedule", "cosine"])
        #expect(!pyramid.cutMix && pyramid.schedule.shape == .cosine)
    }

    @Test(arguments: [["--preset", "cifar100-resnet21-mpw"], ["--preset"], ["--preset", "table4-resnet20-mpw", "--resume", "runs/x"],
                      ["--preset", "table4-resnet20-mpw", "--preset", "table4-resnet20-gapfc"], ["--cifar10.1", "/x", "--dataset", "cifar100"]])
    func badPresetUseIsOneLineError(_ arguments: [String]) {
        do {
            _ = try TrainCommand.parseWithPreset(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = TrainCommand.message(for: error)
            #expect(!message.isEmpty && !message.contains("\n"), "\(arguments): \(message)")
        }
    }

    @Test func relativeMilestonesScaleWithTheRun() {
        #expect(RelativeMilestones.resolve("multistep:50%,75%", epochs: 200) == "multistep:100,150")
        #expect(RelativeMilestones.resolve("multistep:30%,60%,80%x0.2", epochs: 2) == "multistep:1,1,2x0.2")
        #expect(RelativeMilestones.resolve("multistep:30,60", epochs: 2) == "multistep:30,60")
        #expect(RelativeMilestones.resolve("cosine", epochs: 2) == "cosine")
    }

    @Test(arguments: [["--out", "o"], ["--presets", "a", "--table", "4", "--out", "o"], ["--presets", "nope", "--out", "o"],
                      ["--table", "5", "--out", "o"], ["--table", "4", "--seeds", "0,x", "--out", "o"], ["--table", "4", "--seeds", "1,1", "--out", "o"],
                      ["--table", "4", "--shard", "3/2", "--out", "o"], ["--table", "4", "--out", "o", "--seed", "3"],
                      ["--table", "4", "--out", "o", "--resume", "r"]])
    func sweepRejectsBadFlags(_ arguments: [String]) {
        do {
            _ = try SweepCommand.parse(arguments)
            Issue.record("\(arguments) was accepted")
        } catch {
            let message = SweepCommand.message(for: error)
            #expect(!message.isEmpty && !message.contains("\n"), "\(arguments): \(message)")
        }
    }

    @Test func sweepTrainFlagsApplyToEveryRunAndShardsSplitThem() throws {
        let command = try SweepCommand.parse(["--table", "4", "--seeds", "0,1,2", "--out", "/tmp/s", "--epochs", "2", "--dataset", "fashion-mnist",
                                              "--limit-train", "300"])
        let plan = try command.plan()
        #expect(plan.runs.count == 42)
        #expect(plan.runs.allSatisfy { $0.configuration.epochs == 2 && $0.configuration.dataset == "fashion-mnist" && $0.configuration.limitTrain == 300 })
        #expect(plan.runs[4].directory.url.path == "/tmp/s/table4-resnet20-multifc-avg/seed-1" && plan.runs[4].configuration.seed == 1)
        let shards = try (1...3).map { try SweepCommand.parse(["--table", "4", "--seeds", "0,1,2", "--out", "/tmp/s", "--shard", "\($0)/3"]).plan() }
        #expect(shards.map(\.runs.count) == [14, 14, 14])
        #expect(Set(shards.flatMap { $0.runs.map(\.directory.url.path) }).count == 42)
        #expect(throws: (any Error).self) { try SweepCommand.parse(["--table", "4", "--out", "/tmp/s", "--batch", "0"]).plan() }
    }
}
