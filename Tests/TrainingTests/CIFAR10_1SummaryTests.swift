import Foundation
import Testing
import TestSupport
@testable import Training

/// A CIFAR-10 run with CIFAR-10.1 next to its data evaluates its final and best checkpoints on
/// it and records them in summary.json.
@Suite(.serialized) struct CIFAR10_1SummaryTests {
    @Test func aCIFAR10RunRecordsCIFAR10_1InItsSummary() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 160, test: 32)
        #expect(CIFAR10_1Location.next(toData: data.path) == nil)
        try LearnableFixture.writeCIFAR10_1(in: root.file("cifar10.1"), count: 40)
        #expect(CIFAR10_1Location.next(toData: data.path) == root.file("cifar10.1").standardizedFileURL.path)
        #expect(CIFAR10_1Location.next(toData: root.url.path) == root.file("cifar10.1").standardizedFileURL.path)

        var configuration = TrainerTests.configuration(data: data, epochs: 2)
        configuration.cifar10_1Directory = CIFAR10_1Location.next(toData: data.path)
        let trainer = try TrainerTests.newRun(configuration, in: root.file("run"))
        let summary = try trainer.train()
        let final = try #require(summary.cifar10_1Final), best = try #require(summary.cifar10_1Best)
        #expect(final.samples == 40 && final.epoch == 2 && best.epoch == summary.bestEpoch)

        // The recorded figure is what `mpw eval` gives for the best checkpoint on CIFAR-10.1.
        let checkpoint = try Checkpoint.read(trainer.directory.bestCheckpoint)
        let evaluation = try EvaluationSetup(checkpoint: checkpoint, datasetName: "cifar10.1", directory: root.file("cifar10.1").path, limit: nil)
        let report = try Evaluator.evaluate(evaluation.model, on: evaluation.dataset, transform: evaluation.transform, batchSize: 32, workers: 0, seed: 3)
        #expect(report.top1 == best.top1)
        let written = try JSONDecoder().decode(TrainingSummary.self, from: Data(contentsOf: trainer.directory.summaryFile))
        #expect(written.cifar10_1Best == best && written.cifar10_1Final == final)

        // A missing CIFAR-10.1 directory fails before any work.
        configuration.cifar10_1Directory = root.file("nowhere").path
        #expect(throws: (any Error).self) { try RunSetup(configuration) }
    }
}
