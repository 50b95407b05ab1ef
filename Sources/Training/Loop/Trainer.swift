import Datasets
import Foundation
import Kernels
import Models
import MultiProxy
import NN
import Tensors

/// Trains a model as a run configuration says, epoch by epoch: SGD steps on shuffled, augmented
/// batches, evaluation on the test split after every epoch, metrics and checkpoints in the run
/// directory.
///
/// Resuming is exact. The data order and augmentation are functions of (seed, epoch, batch), the
/// learning rate of (epoch, batch), and a checkpoint holds the weights, BatchNorm statistics,
/// momentum buffers, random generators and the sums of the epoch in progress; so a run stopped at
/// any step and resumed from its checkpoint ends with the same weights, bit for bit (at the same
/// thread count), as one that never stopped.
public final class Trainer {
    public let setup: RunSetup
    public let directory: RunDirectory
    public let model: ImageClassifier
    public let optimizer: SGD
    public private(set) var state: TrainingState
    public private(set) var records: [EpochRecord]
    private let configuration: TrainingConfiguration
    private let dropLast: Bool

    /// A new run (checkpoint nil) or a resumed one.
    public init(setup: RunSetup, directory: RunDirectory, resumingFrom checkpoint: Checkpoint.Contents? = nil) throws {
        self.setup = setup
        self.directory = directory
        configuration = setup.configuration
        model = try setup.makeModel()
        optimizer = SGD(model: model, learningRate: configuration.learningRate, momentum: configuration.momentum,
                        nesterov: configuration.nesterov, weightDecay: configuration.weightDecay,
                        decayNormalizationAndBias: configuration.decayNormalizationAndBias)
        dropLast = setup.train.count >= configuration.batchSize
        if let checkpoint {
            try Checkpoint.restore(checkpoint, model: model, optimizer: optimizer)
            state = checkpoint.state
            records = try directory.readMetrics().filter { $0.epoch <= checkpoint.state.epoch }
            try restoreGenerators(state.generators)
        } else {
            state = .start
            records = []
        }
    }

    public var batchesPerEpoch: Int {
        dropLast ? setup.train.count / configuration.batchSize : (setup.train.count + configuration.batchSize - 1) / configuration.batchSize
    }

    /// Trains to the configured number of epochs. Throws `TrainingStop` when interrupted (after
    /// saving) or when the loss stops being finite (the last checkpoint stays as it was).
    @discardableResult
    public func train(observer: (TrainingEvent) -> Void = { _ in }) throws -> TrainingSummary {
        let batches = batchesPerEpoch
        let schedule = configuration.schedule.schedule(base: configuration.learningRate, epochs: configuration.epochs, stepsPerEpoch: batches)
        let classes = setup.classes
        let smoothing = configuration.labelSmoothing
        while state.epoch < configuration.epochs {
            let epoch = state.epoch
            let loader = try BatchLoader(dataset: setup.train, batchSize: configuration.batchSize, shuffle: true, dropLast: dropLast,
                                         transform: setup.trainTransform, seed: configuration.seed, epoch: epoch,
                                         workers: configuration.workers, startBatch: state.batch)
            observer(.epochStarted(epoch: epoch, epochs: configuration.epochs, batches: batches,
                                   learningRate: Double(schedule.learningRate(atEpoch: Double(epoch) + Double(state.batch) / Double(batches)))))
            model.train()
            var stepStart = Date()
            while let batch = try loader.next() {
                optimizer.learningRate = schedule.learningRate(atEpoch: Double(epoch) + Double(batch.index) / Double(batches))
                let logits = model(batch.images)
                let loss: Tensor
                if batch.mixedLabels != nil || smoothing > 0 {
                    loss = Tensor.crossEntropy(logits: logits, targets: Self.targets(batch, classes: classes, smoothing: smoothing))
                } else {
                    loss = Tensor.crossEntropy(logits: logits, labels: batch.labels)
                }
                let value = loss.item
                guard value.isFinite else { throw TrainingStop.nonFiniteLoss(epoch: epoch, step: batch.index, value: value) }
                loss.backward()
                optimizer.step()

                let ranks = TopK.ranks(logits: logits.detached(), labels: batch.labels)
                state.partial.lossSum += Double(value) * Double(batch.count)
                state.partial.correct += ranks.filter { $0 == 0 }.count
                state.partial.samples += batch.count
                if let head = model.head as? MultiProxyHead, case .wasserstein = head.flow {
                    state.partial.iterationSum += head.statistics.meanIterations
                    state.partial.iterationBatches += 1
                }
                let now = Date()
                state.partial.seconds += now.timeIntervalSince(stepStart)
                stepStart = now
                state.batch = batch.index + 1
                let remaining = Double(batches - state.batch) * state.partial.seconds / Double(max(state.batch, 1))
                observer(.step(StepProgress(epoch: epoch, epochs: configuration.epochs, batchesDone: state.batch, batches: batches,
                                            loss: state.partial.meanLoss, accuracy: state.partial.accuracy,
                                            imagesPerSecond: state.partial.imagesPerSecond, learningRate: Double(optimizer.learningRate),
                                            secondsRemaining: remaining, meanSinkhornIterations: state.partial.meanIterations)))
                if InterruptSignal.isRequested && state.batch < batches {
                    try saveCheckpoint(best: false)
                    observer(.checkpointSaved(path: directory.lastCheckpoint.path))
                    throw TrainingStop.interrupted(epoch: epoch, batch: state.batch, directory: directory.url.path)
                }
            }
            try finishEpoch(epoch, learningRate: Double(optimizer.learningRate), observer: observer)
            if InterruptSignal.isRequested && state.epoch < configuration.epochs {
                throw TrainingStop.interrupted(epoch: state.epoch, batch: 0, directory: directory.url.path)
            }
        }
        var summary = makeSummary()
        (summary.cifar10_1Final, summary.cifar10_1Best) = try evaluateOnCIFAR10_1(observer: observer)
        try directory.writeSummary(summary)
        return summary
    }

    private func finishEpoch(_ epoch: Int, learningRate: Double, observer: (TrainingEvent) -> Void) throws {
        let evaluation = try Evaluator.evaluate(model, on: setup.test, transform: setup.testTransform, batchSize: configuration.batchSize,
                                                workers: configuration.workers, seed: configuration.seed) { batch, batches in
            observer(.evaluating(epoch: epoch, batch: batch, batches: batches))
        }
        let record = EpochRecord(epoch: epoch + 1, trainLoss: state.partial.meanLoss, trainAccuracy: state.partial.accuracy,
                                 testLoss: evaluation.loss, testTop1: evaluation.top1, testTop5: evaluation.top5,
                                 learningRate: learningRate, imagesPerSecond: state.partial.imagesPerSecond,
                                 seconds: state.partial.seconds, meanSinkhornIterations: state.partial.meanIterations)
        records.append(record)
        state.elapsedSeconds += state.partial.seconds
        state.epoch = epoch + 1
        state.batch = 0
        state.partial = EpochAccumulator()
        let improved = state.bestTop1.map { evaluation.top1 > $0 } ?? true
        if improved {
            state.bestTop1 = evaluation.top1
            state.bestEpoch = epoch + 1
        }
        try directory.writeMetrics(records)
        try saveCheckpoint(best: improved)
        observer(.epochFinished(record))
        observer(.checkpointSaved(path: directory.lastCheckpoint.path))
    }

    private func saveCheckpoint(best: Bool) throws {
        state.generators = Dictionary(uniqueKeysWithValues: model.namedModules().compactMap { name, module in
            (module as? Dropout).map { (name, $0.generator.stateWords) }
        })
        try Checkpoint.write(to: directory.lastCheckpoint, model: model, optimizer: optimizer, configuration: configuration, state: state)
        if best {
            try Checkpoint.write(to: directory.bestCheckpoint, model: model, optimizer: optimizer, configuration: configuration, state: state)
        }
    }

    private func restoreGenerators(_ generators: [String: [UInt64]]) throws {
        for (name, module) in model.namedModules() {
            guard let dropout = module as? Dropout else { continue }
            guard let words = generators[name], words.count == 4 else {
                throw ConfigurationError("the checkpoint has no generator state for dropout layer \(name)")
            }
            dropout.generator = RandomGenerator(stateWords: words)
        }
    }

    /// Per-sample target distributions: CutMix's two labels weighted, then label smoothing.
    static func targets(_ batch: Batch, classes: Int, smoothing: Float) -> Tensor {
        var targets = Tensor.full([batch.count, classes], smoothing / Float(classes))
        targets.withUnsafeMutableBufferPointer { q in
            for row in 0..<batch.count {
                let weight = batch.mixWeight?[row] ?? 1
                q[row * classes + Int(batch.labels[row])] += (1 - smoothing) * weight
                if let mixed = batch.mixedLabels { q[row * classes + Int(mixed[row])] += (1 - smoothing) * (1 - weight) }
            }
        }
        return targets
    }

    private func makeSummary() -> TrainingSummary {
        let last = records.last
        let iterations = records.compactMap(\.meanSinkhornIterations)
        let seconds = records.reduce(0) { $0 + $1.seconds }
        let images = records.reduce(0) { $0 + $1.imagesPerSecond * $1.seconds }
        return TrainingSummary(model: configuration.model, head: configuration.head.kind, dataset: configuration.dataset,
                               epochs: configuration.epochs, parameters: model.parameterCount,
                               finalTop1: last?.testTop1 ?? 0, finalTop5: last?.testTop5 ?? 0,
                               bestTop1: state.bestTop1 ?? 0, bestEpoch: state.bestEpoch ?? 0,
                               trainImagesPerSecond: seconds > 0 ? images / seconds : 0,
                               meanSinkhornIterations: iterations.isEmpty ? nil : iterations.reduce(0, +) / Double(iterations.count),
                               wallSeconds: state.elapsedSeconds)
    }
}
