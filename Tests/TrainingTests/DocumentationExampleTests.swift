import Foundation
import MultiProxy
import Testing
import TestSupport
import Training

/// The worked example of the Training documentation catalog (Sources/Training/Training.docc), as
/// written there, in a temporary directory of its own.
@Suite(.serialized) struct TrainingDocumentationExampleTests {
    @Test func aShortRunOnFashionMNIST() throws {
        let root = try TemporaryDirectory()
        let configuration = TrainingConfiguration(
            dataset: "fashion-mnist", dataDirectory: nil, limitTrain: 256, limitTest: 128, greyscaleAdaptation: "pad-to-32",
            cutMix: false, workers: 2, model: "resnet20", head: HeadSettings(HeadConfiguration(kind: .mpw)), epochs: 1,
            batchSize: 64, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: false, decayNormalizationAndBias: true,
            labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine), seed: 0, threads: 2)
        let run = RunDirectory(root.file("mpw-example").path)
        try run.createForNewRun()
        try run.writeConfiguration(configuration)
        let trainer = try Trainer(setup: try RunSetup(configuration), directory: run)
        let summary = try trainer.train()

        #expect(summary.epochs == 1 && summary.model == "resnet20" && summary.head == "mpw")
        #expect((0...1).contains(summary.finalTop1) && (summary.meanSinkhornIterations ?? 0) >= 2)
        #expect(try run.readMetrics().count == 1)
        #expect(try Checkpoint.read(run.lastCheckpoint).state.epoch == 1)
    }
}
