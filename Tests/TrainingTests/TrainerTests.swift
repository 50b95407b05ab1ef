import Datasets
import Foundation
import MultiProxy
import NN
import Testing
import Tensors
import TestSupport
@testable import Training

/// End-to-end training runs on a small generated dataset.
@Suite(.serialized) struct TrainerTests {
    static func configuration(data: URL, head: HeadConfiguration.Kind = .gapfc, epochs: Int = 2, learningRate: Float = 0.05,
                              batchSize: Int = 32, cutMix: Bool = false) -> TrainingConfiguration {
        TrainingConfiguration(
            dataset: "cifar10", dataDirectory: data.path, limitTrain: nil, limitTest: nil, greyscaleAdaptation: "pad-to-32",
            cutMix: cutMix, workers: 2, model: "resnet20",
            head: HeadSettings(HeadConfiguration(kind: head, wasserstein: WassersteinMatching())), epochs: epochs, batchSize: batchSize,
            learningRate: learningRate, momentum: 0.9, weightDecay: 5e-4, nesterov: false, decayNormalizationAndBias: true,
            labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine, warmupEpochs: 0.5), seed: 3, threads: 2)
    }

    static func newRun(_ configuration: TrainingConfiguration, in directory: URL) throws -> Trainer {
        let run = RunDirectory(directory.path)
        try run.createForNewRun()
        try run.writeConfiguration(configuration)
        return try Trainer(setup: try RunSetup(configuration), directory: run)
    }

    static func modelTensors(_ url: URL) throws -> [String: [Float]] {
        let file = try SafeTensorsFile(contentsOf: url)
        var result: [String: [Float]] = [:]
        for name in file.entries.keys where name.hasPrefix("model.") || name.hasPrefix("optimizer.") { result[name] = try file.floats(name) }
        return result
    }

    /// The accuracy bounds (0.25, chance 0.1) rest on 20 training seeds of this run on the Intel
    /// Xeon (family 6 model 207): final top-1 0.43-0.88 (median 0.63), CIFAR-10.1 fixture top-1
    /// 0.475-0.875. At batch 32 (30 steps) and with a class given by the square's position, seeds
    /// ended as low as 0.19, which is why this run takes batch 16 and the colour fixture.
    @Test func trainingLearnsAndFillsTheRunDirectory() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 320, test: 96)
        let trainer = try Self.newRun(Self.configuration(data: data, epochs: 3, batchSize: 16), in: root.file("run"))
        let summary = try trainer.train()
        let records = try trainer.directory.readMetrics()
        #expect(records.count == 3)
        #expect(records[2].trainLoss < records[0].trainLoss)
        #expect(summary.finalTop1 > 0.25)
        for file in ["config.json", "metrics.jsonl", "last.safetensors", "best.safetensors", "summary.json"] {
            #expect(FileManager.default.fileExists(atPath: root.file("run/\(file)").path), "\(file)")
        }
        let checkpoint = try Checkpoint.read(trainer.directory.lastCheckpoint)
        #expect(checkpoint.configuration == trainer.setup.configuration)
        #expect(checkpoint.state.epoch == 3 && checkpoint.state.batch == 0)

        // `mpw eval` on the best checkpoint reproduces the accuracy recorded for its epoch.
        let best = try Checkpoint.read(trainer.directory.bestCheckpoint)
        let evaluation = try EvaluationSetup(checkpoint: best, datasetName: nil, directory: nil, limit: nil)
        let report = try Evaluator.evaluate(evaluation.model, on: evaluation.dataset, transform: evaluation.transform,
                                            batchSize: 50, workers: 0, seed: 3)
        #expect(report.top1 == records[best.state.bestEpoch! - 1].testTop1)
        #expect(report.confusion.flatMap { $0 }.reduce(0, +) == 96)

        // A CIFAR-10 checkpoint evaluates on CIFAR-10.1 (its .npy files, HWC pixels).
        try LearnableFixture.writeCIFAR10_1(in: root.file("cifar10.1"), count: 40)
        let shifted = try EvaluationSetup(checkpoint: best, datasetName: "cifar10.1", directory: root.file("cifar10.1").path, limit: nil)
        let shiftedReport = try Evaluator.evaluate(shifted.model, on: shifted.dataset, transform: shifted.transform,
                                                   batchSize: 16, workers: 0, seed: 3)
        #expect(shiftedReport.samples == 40)
        #expect(shiftedReport.top1 > 0.25)
    }

    /// Interrupted mid-epoch and at an epoch boundary, then resumed: the final weights, BatchNorm
    /// statistics and momentum buffers equal an uninterrupted run's bit for bit.
    @Test(arguments: [HeadConfiguration.Kind.gapfc, .mpw])
    func resumedRunsEndBitForBitWhereUninterruptedOnesDo(head: HeadConfiguration.Kind) throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 160, test: 32)
        let configuration = Self.configuration(data: data, head: head, epochs: 2, cutMix: true)
        try Self.newRun(configuration, in: root.file("straight")).train()

        var trainer = try Self.newRun(configuration, in: root.file("stopped"))
        var stops: [(Int, Int)] = []
        for stopAfter in [2, 5, 7] {  // step 2 of epoch 1, the epoch boundary (5 steps per epoch), step 2 of epoch 2
            InterruptSignal.clear()
            var steps = trainer.state.epoch * 5 + trainer.state.batch
            do {
                try trainer.train { event in
                    if case .step = event {
                        steps += 1
                        if steps == stopAfter { InterruptSignal.request() }
                    }
                }
                Issue.record("training was not interrupted after step \(stopAfter)")
            } catch TrainingStop.interrupted(let epoch, let batch, _) {
                stops.append((epoch, batch))
            }
            InterruptSignal.clear()
            let checkpoint = try Checkpoint.read(trainer.directory.lastCheckpoint)
            trainer = try Trainer(setup: try RunSetup(checkpoint.configuration), directory: trainer.directory, resumingFrom: checkpoint)
        }
        #expect(stops.map(\.0) == [0, 1, 1] && stops.map(\.1) == [2, 0, 2])
        try trainer.train()
        let straight = try Self.modelTensors(root.file("straight/last.safetensors"))
        let resumed = try Self.modelTensors(root.file("stopped/last.safetensors"))
        #expect(straight.keys.sorted() == resumed.keys.sorted())
        for (name, values) in straight { #expect(resumed[name] == values, "\(name)") }
        #expect(try RunDirectory(root.file("stopped").path).readMetrics().map(\.testTop1)
                == RunDirectory(root.file("straight").path).readMetrics().map(\.testTop1))
    }

    /// The test runner blocks SIGINT on its threads; a terminal's Ctrl-C reaches an unblocked one.
    static func raiseUnblocked(_ signalNumber: Int32) {
        var unblock = sigset_t(), previous = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, signalNumber)
        pthread_sigmask(SIG_UNBLOCK, &unblock, &previous)
        raise(signalNumber)
        pthread_sigmask(SIG_SETMASK, &previous, nil)
    }

    @Test func theSignalHandlerRaisesTheFlag() {
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        #expect(!InterruptSignal.isRequested)
        Self.raiseUnblocked(SIGINT)
        #expect(InterruptSignal.isRequested)
        InterruptSignal.clear()
    }

    @Test func aRealSIGINTFinishesTheStepAndSaves() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 160, test: 32)
        let trainer = try Self.newRun(Self.configuration(data: data, epochs: 1), in: root.file("run"))
        InterruptSignal.install()
        defer {
            InterruptSignal.uninstall()
            InterruptSignal.clear()
        }
        #expect(throws: TrainingStop.self) {
            try trainer.train { event in
                if case .step(let progress) = event, progress.batchesDone == 3 { Self.raiseUnblocked(SIGINT) }
            }
        }
        let checkpoint = try Checkpoint.read(trainer.directory.lastCheckpoint)
        #expect(checkpoint.state.epoch == 0 && checkpoint.state.batch == 3)
    }

    @Test func aNonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws {
        let root = try TemporaryDirectory()
        let data = try LearnableFixture.write(in: root.url, training: 160, test: 32)
        let trainer = try Self.newRun(Self.configuration(data: data, epochs: 1), in: root.file("run"))
        try trainer.train()
        let before = try Data(contentsOf: trainer.directory.lastCheckpoint)
        var configuration = trainer.setup.configuration
        configuration.epochs = 2
        let checkpoint = try Checkpoint.read(trainer.directory.lastCheckpoint)
        let resumed = try Trainer(setup: try RunSetup(configuration), directory: trainer.directory, resumingFrom: checkpoint)
        if let parameter = resumed.model.trainableParameters.first {
            parameter.value = Tensor.full(parameter.shape, .nan)
        }
        do {
            try resumed.train()
            Issue.record("a NaN loss did not stop the run")
        } catch TrainingStop.nonFiniteLoss(let epoch, let step, _) {
            #expect(epoch == 1 && step == 0)
        }
        #expect(try Data(contentsOf: trainer.directory.lastCheckpoint) == before)
    }

    @Test func setupRejectsBadInputBeforeAnyWork() throws {
        let root = try TemporaryDirectory()
        var configuration = Self.configuration(data: root.file("missing"))
        #expect(throws: DatasetError.self) { try RunSetup(configuration) }
        configuration.dataset = "imagenet-22k"
        #expect(throws: ConfigurationError.self) { try RunSetup(configuration) }
        let data = try LearnableFixture.write(in: root.url, training: 50, test: 10)
        configuration = Self.configuration(data: data)
        configuration.model = "resnet21"
        #expect(throws: (any Error).self) { try RunSetup(configuration) }
        let run = RunDirectory(root.file("run").path)
        try run.createForNewRun()
        try run.writeMetrics([])
        #expect(throws: ConfigurationError.self) { try run.createForNewRun() }
    }

    @Test func schedulesParseFromTheCommandLineForm() throws {
        #expect(try ScheduleSpecification(parsing: "multistep:100,150").shape == .multiStep(milestones: [100, 150]))
        #expect(try ScheduleSpecification(parsing: "cosine").shape == .cosine)
        for bad in ["multistep:", "multistep:10,x", "multistep:-5", "linear", ""] {
            #expect(throws: ConfigurationError.self) { try ScheduleSpecification(parsing: bad) }
        }
    }
}
