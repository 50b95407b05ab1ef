import Datasets
import Foundation
import Testing
import TestSupport
@testable import Training

/// `--validation-split`: the held-out images are a seeded, disjoint part of the training split,
/// and the best checkpoint is the epoch with the highest validation top-1, the test split reported beside it.
@Suite(.serialized) struct ValidationSplitTests {
    @Test func heldOutImagesAreASeededDisjointPart() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 200, test: 16)
        let train = try DatasetKind.cifar10.open(directory: data.path, split: .train)
        let (kept, held) = try ValidationSplit.split(train, fraction: 0.1, seed: 3)
        let keptIndices = (kept as! DatasetSubset).indices, heldIndices = (held as! DatasetSubset).indices
        #expect(heldIndices.count == 20 && keptIndices.count == 180)
        #expect(Set(keptIndices).isDisjoint(with: heldIndices) && Set(keptIndices + heldIndices) == Set(0..<200))
        #expect(heldIndices == heldIndices.sorted())
        let again = try ValidationSplit.split(train, fraction: 0.1, seed: 3).validation as! DatasetSubset
        let otherSeed = try ValidationSplit.split(train, fraction: 0.1, seed: 4).validation as! DatasetSubset
        #expect(again.indices == heldIndices && otherSeed.indices != heldIndices)
        for (position, index) in heldIndices.enumerated() { #expect(held.label(at: position) == train.label(at: index)) }
        #expect(throws: ConfigurationError.self) { try ValidationSplit.split(train, fraction: 0.001, seed: 3) }
    }

    @Test func bestCheckpointIsChosenOnTheValidationSplit() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 200, test: 48)
        var configuration = TrainerTests.configuration(data: data, epochs: 3, batchSize: 16)
        configuration.validationSplit = 0.2
        let trainer = try TrainerTests.newRun(configuration, in: root.file("run"))
        #expect(trainer.setup.train.count == 160 && trainer.setup.validation?.count == 40 && trainer.setup.test.count == 48)
        let summary = try trainer.train()
        let records = try trainer.directory.readMetrics()
        let validationTop1 = records.compactMap(\.validationTop1)
        try #require(validationTop1.count == 3)
        let chosen = validationTop1.indices.first { validationTop1[$0] == validationTop1.max() }!
        #expect(summary.bestEpoch == chosen + 1 && summary.bestValidationTop1 == validationTop1[chosen])
        #expect(summary.bestTop1 == records[chosen].testTop1)
        let best = try Checkpoint.read(trainer.directory.bestCheckpoint)
        #expect(best.state.epoch == chosen + 1 && best.configuration.validationSplit == 0.2)
        // The held-out images' accuracy is what the best checkpoint reaches on them.
        let evaluation = try EvaluationSetup(checkpoint: best, datasetName: nil, directory: nil, limit: nil)
        let report = try Evaluator.evaluate(evaluation.model, on: trainer.setup.validation!, transform: trainer.setup.testTransform,
                                            batchSize: 16, workers: 0, seed: 3)
        #expect(report.top1 == validationTop1[chosen])
    }
}
