import Datasets
import Foundation
import Testing
import TestSupport
@testable import Training

/// The augmentation of a run: stored resolved for new runs, implied for old ones, kept on resume.
@Suite(.serialized) struct AugmentationRunTests {
    @Test func newRunsStoreTheEffectiveSpec() throws {
        var configuration = TrainerTests.configuration(data: URL(fileURLWithPath: "/unused"))
        try configuration.resolveAugmentation(nil)
        #expect(configuration.augment == "crop:4,flip")
        configuration.dataset = "mnist-idx"
        try configuration.resolveAugmentation(nil)
        #expect(configuration.augment == "crop:4")
        try configuration.resolveAugmentation(" flip:0.25, crop:2")
        #expect(configuration.augment == "crop:2,flip:0.25")
        #expect(try configuration.augmentation(for: .mnistIDX) == AugmentationSpec(crop: .random(padding: 2), flipProbability: 0.25))
        let error = try #require(throws: ConfigurationError.self) { try configuration.resolveAugmentation("crop:2,blur") }
        #expect(error.description.hasPrefix("--augment crop:2,blur: 'blur': unknown part") && !error.description.contains("\n"))
        configuration.augment = nil
        configuration.dataset = "imagenet-22k"
        try configuration.resolveAugmentation(nil)
        #expect(configuration.augment == nil)
    }

    /// A configuration stored before the field existed has no `augment` key: it decodes, and the run
    /// trains (and so resumes) with the transform it always had, flip included.
    @Test func configurationsWithoutASpecKeepTheirOldTransform() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 20, test: 10)
        let old = TrainerTests.configuration(data: data)
        #expect(!old.json().contains("augment"))
        let decoded = try TrainingConfiguration.decode(old.json(), source: "config.json")
        #expect(decoded.augment == nil && decoded == old)
        let setup = try RunSetup(decoded)
        #expect(setup.augmentation == AugmentationSpec.legacy(for: .cifar10))
        #expect(setup.trainTransform == .cifarTraining(normalization: .cifar10))
        #expect(setup.testTransform == .cifarEvaluation(normalization: .cifar10))

        var stored = old
        stored.augment = "crop:4,flip:9"
        let error = try #require(throws: ConfigurationError.self) { try RunSetup(stored) }
        #expect(error.description.contains("'flip:9'"))
    }

    /// A run with a chosen augmentation, interrupted and resumed from its checkpoint, keeps the
    /// augmentation and ends bit for bit where the uninterrupted run does; another augmentation
    /// ends elsewhere, so the spec really drives the training data.
    @Test func resumedRunsKeepTheirAugmentation() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 96, test: 16)
        var configuration = TrainerTests.configuration(data: data, epochs: 1)  // 3 steps of 32
        try configuration.resolveAugmentation("flip:0.3,crop:2")
        try TrainerTests.newRun(configuration, in: root.file("straight")).train()

        let stopped = try TrainerTests.newRun(configuration, in: root.file("stopped"))
        InterruptSignal.clear()
        var steps = 0
        #expect(throws: TrainingStop.self) {
            try stopped.train { event in
                if case .step = event {
                    steps += 1
                    if steps == 2 { InterruptSignal.request() }
                }
            }
        }
        InterruptSignal.clear()
        let checkpoint = try Checkpoint.read(stopped.directory.lastCheckpoint)
        #expect(checkpoint.configuration.augment == "crop:2,flip:0.3")
        let stored = try TrainingConfiguration.decode(String(decoding: try Data(contentsOf: root.file("stopped/config.json")), as: UTF8.self),
                                                      source: "config.json")
        #expect(stored.augment == "crop:2,flip:0.3")
        let resumed = try Trainer(setup: try RunSetup(checkpoint.configuration), directory: stopped.directory, resumingFrom: checkpoint)
        #expect(resumed.setup.trainTransform.steps == [.randomCrop(size: 32, padding: 2), .horizontalFlip(probability: 0.3)])
        try resumed.train()

        var other = configuration
        try other.resolveAugmentation("none")
        try TrainerTests.newRun(other, in: root.file("other")).train()

        let straight = try TrainerTests.modelTensors(root.file("straight/last.safetensors"))
        let continued = try TrainerTests.modelTensors(root.file("stopped/last.safetensors"))
        let unaugmented = try TrainerTests.modelTensors(root.file("other/last.safetensors"))
        #expect(straight.keys.sorted() == continued.keys.sorted())
        for (name, values) in straight { #expect(continued[name] == values, "\(name)") }
        #expect(straight.contains { unaugmented[$0.key] != $0.value })
    }
}
