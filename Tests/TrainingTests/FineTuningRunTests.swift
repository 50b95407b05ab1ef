import Foundation
import Models
import MultiProxy
import Testing
import Tensors
import TestSupport
@testable import Training

/// A run started with `--init` from a GAP-FC run's checkpoint, MPW head, frozen backbone.
@Suite struct FineTuningRunTests {
    @Test func aFrozenBackboneStaysAsLoadedAndResumingNeedsNoInitFile() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 96, test: 32)
        let base = try TrainerTests.newRun(TrainerTests.configuration(data: data, epochs: 1), in: root.file("gapfc"))
        try base.train()

        var configuration = TrainerTests.configuration(data: data, head: .mpw, epochs: 1)
        let initPath = root.file("init.safetensors").path
        try FileManager.default.copyItem(atPath: base.directory.lastCheckpoint.path, toPath: initPath)
        configuration.fineTuning = FineTuningSettings(initPath: initPath, freezeBackbone: true)
        let tuned = try TrainerTests.newRun(configuration, in: root.file("mpw"))
        #expect(tuned.headTransfer == .seededFromLinear(proxies: 4, noise: 0.05, bias: .dropped))
        #expect(tuned.optimizer.parameters.map(\.name) == ["head.proxies"])
        let seeded = (tuned.model.head as! MultiProxyHead).proxies.value.scalars
        try tuned.train()

        let initial = try SafeTensorsFile(contentsOf: URL(fileURLWithPath: initPath))
        try FineTuningTests.expectState(of: tuned.model.backbone, equals: initial, prefix: "model.")
        #expect((tuned.model.head as! MultiProxyHead).proxies.value.scalars != seeded)

        let checkpoint = try Checkpoint.read(tuned.directory.lastCheckpoint)
        #expect(checkpoint.configuration.fineTuning == configuration.fineTuning)
        try FileManager.default.removeItem(atPath: initPath)
        let resumed = try Trainer(setup: try RunSetup(checkpoint.configuration), directory: tuned.directory, resumingFrom: checkpoint)
        #expect(resumed.headTransfer == nil)
        try FineTuningTests.expectState(of: resumed.model, equals: try SafeTensorsFile(contentsOf: tuned.directory.lastCheckpoint), prefix: "model.")
    }

    @Test func aBackboneLearningRateScaleReachesTheOptimizer() throws {
        let root = try TemporaryDirectory()
        var configuration = TrainerTests.configuration(data: root.url)
        configuration.fineTuning = FineTuningSettings(initPath: "unused", backboneLearningRateScale: 0.1)
        var generator = RandomGenerator(seed: 1)
        let model = try ModelZoo.classifier("resnet20", head: HeadConfiguration(kind: .gapfc), classes: 10, generator: &generator)
        let optimizer = FineTuning.optimizer(for: model, configuration: configuration)
        #expect(optimizer.parameters.count == model.trainableParameters.count)
        #expect(optimizer.learningRateScales["conv.weight"] == 0.1 && optimizer.learningRateScales["head.fc.weight"] == nil)
    }
}
