import Datasets
import Foundation
import GraphRuntime
import Kernels
import ModelGraph
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
///
/// With a distributed `DataParallel`, every rank runs a trainer on its part of each global batch
/// (see `DataParallel`); only rank 0 writes the run directory. A run resumes on any number of
/// ranks: the position, data order and figures are those of the global batch.
public final class Trainer {
    public let setup: RunSetup
    public let directory: RunDirectory
    public let model: ImageClassifier
    public let optimizer: SGD
    public private(set) var state: TrainingState
    public private(set) var records: [EpochRecord]
    /// Stop, as if interrupted (saving a checkpoint), after this many steps of this call to
    /// `train` (a job's time slot on a cluster; tests).
    public var stopAfterSteps: Int?
    public let parallel: DataParallel
    private let configuration: TrainingConfiguration
    private let dropLast: Bool
    /// What a new run's `--init` did with the head (nil without `--init`, and when resuming).
    public private(set) var headTransfer: HeadTransfer?
    private var freezesBackbone: Bool { configuration.fineTuning?.freezeBackbone ?? false }
    /// BatchNorm's running statistics and counters: the forward pass changes them before its step finishes.
    private lazy var buffers = model.namedParameters().filter { $0.parameter.role == .buffer }
    private var termination: TerminationCheckpoint?
    /// How long the last end-of-epoch evaluation (and checkpoint) took, for the run's time estimate.
    private var evaluationSeconds: Double?
    /// Images evaluated after every epoch: the test split and the held-out ones.
    private var evaluatedImagesPerEpoch: Int { setup.test.count + (setup.validation?.count ?? 0) }
    /// The run's TensorBoard event file (rank 0 only; see `enableTensorBoard`).
    public private(set) var tensorBoard: TensorBoardLog?

    /// A new run (checkpoint nil) or a resumed one; `parallel` spreads it over several ranks.
    public init(setup: RunSetup, directory: RunDirectory, resumingFrom checkpoint: Checkpoint.Contents? = nil,
                parallel: DataParallel = DataParallel()) throws {
        self.setup = setup
        self.directory = directory
        self.parallel = parallel
        configuration = setup.configuration
        model = try setup.makeModel()
        optimizer = FineTuning.optimizer(for: model, configuration: configuration)
        dropLast = setup.train.count >= configuration.batchSize
        if checkpoint == nil, let fineTuning = configuration.fineTuning {
            var generator = RandomGenerator(seed: configuration.seed &+ 0x1417)
            headTransfer = try WeightTransfer.apply(try InitialWeights.read(fineTuning.initPath), to: model,
                                                    proxyNoise: fineTuning.proxyNoise, generator: &generator)
        }
        if let checkpoint {
            try Checkpoint.restore(checkpoint, model: model, optimizer: optimizer)
            state = checkpoint.state
            records = parallel.isLeader ? try directory.readMetrics().filter { $0.epoch <= checkpoint.state.epoch } : []
            try restoreGenerators(state.generators)
        } else {
            state = .start
            records = []
        }
        try checkBatchFitsInMemory()
        if parallel.isDistributed {
            let ranks = parallel.world.size
            let smallestBatch = dropLast ? configuration.batchSize : setup.train.count
            guard smallestBatch >= ranks, setup.test.count >= ranks else {
                throw ConfigurationError("\(ranks) ranks need at least \(ranks) images in every batch and in the test split (batch \(smallestBatch), \(setup.test.count) test images): use fewer ranks or a larger --batch")
            }
            try parallel.requireAgreement([("training images", setup.train.count), ("test images", setup.test.count),
                                           ("parameters", model.parameterCount), ("as the epoch", state.epoch), ("as the batch", state.batch)])
            parallel.attach(model)
        }
    }

    /// Refuses a batch whose step would not fit in memory (`BatchMemoryCheck`), and names
    /// `--batch` in the message of an allocation that fails later all the same.
    private func checkBatchFitsInMemory() throws {
        AllocationFailure.context = "--batch \(configuration.batchSize)"
        let ranks = max(parallel.world.size, 1)
        let localBatch = (min(configuration.batchSize, setup.train.count) + ranks - 1) / ranks
        // A model of its own, and the allocator's cache emptied after: the run starts exactly as without the probe.
        let estimate = BatchMemoryCheck.estimate(model: try setup.makeModel(), channels: setup.inputChannels, side: setup.inputSize,
                                                 freezeBackbone: freezesBackbone)
        AlignedMemory.trimCache()
        try BatchMemoryCheck.require(images: localBatch, flag: configuration.batchSize, estimate: estimate, ranks: ranks)
    }

    /// Training images beyond the last full batch: left out of this epoch's steps (only full batches
    /// are trained on, as the paper's recipe does), a different draw each epoch as the order is reshuffled.
    public var imagesLeftOverPerEpoch: Int {
        dropLast ? setup.train.count % configuration.batchSize : 0
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
        var stepsRun = 0
        while state.epoch < configuration.epochs {
            let epoch = state.epoch
            let loader = try BatchLoader(dataset: setup.train, batchSize: configuration.batchSize, shuffle: true, dropLast: dropLast,
                                         transform: setup.trainTransform, seed: configuration.seed, epoch: epoch,
                                         workers: configuration.workers, startBatch: state.batch, shard: parallel.shard)
            observer(.epochStarted(epoch: epoch, epochs: configuration.epochs, batches: batches,
                                   learningRate: Double(schedule.learningRate(atEpoch: Double(epoch) + Double(state.batch) / Double(batches)))))
            model.train()
            if freezesBackbone { model.backbone.eval() }
            var stepStart = Date()
            while let batch = try loader.next() {
                optimizer.learningRate = schedule.learningRate(atEpoch: Double(epoch) + Double(batch.index) / Double(batches))
                let ((logits, loss), matching) = MatchingStatistics.recording {
                    parallel.withBatchNormSynchronised { () -> (Tensor, Tensor) in
                        let logits = FineTuning.trainingForward(model, batch.images, freezeBackbone: freezesBackbone)
                        let loss: Tensor
                        if batch.mixedLabels != nil || smoothing > 0 {
                            loss = Tensor.crossEntropy(logits: logits, targets: Self.targets(batch, classes: classes, smoothing: smoothing))
                        } else {
                            loss = Tensor.crossEntropy(logits: logits, labels: batch.labels)
                        }
                        return (logits, loss)
                    }
                }
                let value = loss.item
                stepsRun += 1
                let step: StepFigures
                if parallel.isDistributed {
                    // Every rank back-propagates first; a non-finite loss anywhere then stops all of them.
                    let globalCount = min(configuration.batchSize, setup.train.count - batch.index * configuration.batchSize)
                    parallel.withBatchNormSynchronised {
                        parallel.backward(loss, localCount: batch.count, globalCount: globalCount)
                    }
                    step = StepFigures(value: value, logits: logits, batch: batch, matching: matching, stepsRun: stepsRun,
                                       stopAfter: stopAfterSteps).summed(over: parallel)
                    guard step.lossSum.isFinite else {
                        throw TrainingStop.nonFiniteLoss(epoch: epoch, step: batch.index, value: Float(step.lossSum / step.samples))
                    }
                } else {
                    guard value.isFinite else { throw TrainingStop.nonFiniteLoss(epoch: epoch, step: batch.index, value: value) }
                    loss.backward()
                    step = StepFigures(value: value, logits: logits, batch: batch, matching: matching, stepsRun: stepsRun,
                                       stopAfter: stopAfterSteps)
                }
                commit {
                    optimizer.step()
                    state.partial.lossSum += step.lossSum
                    state.partial.correct += Int(step.correct)
                    state.partial.samples += Int(step.samples)
                    if let iterations = step.meanIterations {
                        state.partial.iterationSum += iterations
                        state.partial.iterationBatches += 1
                    }
                    let now = Date()
                    state.partial.seconds += now.timeIntervalSince(stepStart)
                    stepStart = now
                    state.batch = batch.index + 1
                }
                try tensorBoard?.step(epoch: epoch, batchesDone: state.batch, loss: state.partial.meanLoss, accuracy: state.partial.accuracy)
                let pace = state.partial.seconds / Double(max(state.batch, 1))
                let remaining = Double(batches - state.batch) * pace
                let laterEpochs = Double(configuration.epochs - epoch - 1)
                let evaluation = evaluationSeconds ?? pace * Double(evaluatedImagesPerEpoch) / Double(configuration.batchSize) / 3
                observer(.step(StepProgress(epoch: epoch, epochs: configuration.epochs, batchesDone: state.batch, batches: batches,
                                            loss: state.partial.meanLoss, accuracy: state.partial.accuracy,
                                            imagesPerSecond: state.partial.imagesPerSecond, learningRate: Double(optimizer.learningRate),
                                            secondsRemaining: remaining, meanSinkhornIterations: state.partial.meanIterations,
                                            runSecondsRemaining: remaining + laterEpochs * Double(batches) * pace + (laterEpochs + 1) * evaluation)))
                // One process also sees a request made while the step was reported; ranks agree in the step's allreduce.
                let stop = step.stopRequested || (!parallel.isDistributed && InterruptSignal.isRequested)
                if stop && state.batch < batches {
                    try saveCheckpoint(best: false)
                    observer(.checkpointSaved(path: directory.lastCheckpoint.path))
                    throw TrainingStop.interrupted(epoch: epoch, batch: state.batch, directory: directory.url.path)
                }
            }
            try finishEpoch(epoch, learningRate: Double(optimizer.learningRate), observer: observer)
            let stopAfter = stopAfterSteps.map { stepsRun >= $0 } ?? false
            if parallel.any(InterruptSignal.isRequested || stopAfter, label: "stop agreement") && state.epoch < configuration.epochs {
                throw TrainingStop.interrupted(epoch: state.epoch, batch: 0, directory: directory.url.path)
            }
        }
        var summary = makeSummary()
        (summary.cifar10_1Final, summary.cifar10_1Best) = try evaluateOnCIFAR10_1(observer: observer)
        if parallel.isLeader { try directory.writeSummary(summary) }
        return summary
    }

    private func finishEpoch(_ epoch: Int, learningRate: Double, observer: (TrainingEvent) -> Void) throws {
        parallel.shareRunningStatistics(of: model)
        let evaluationStart = Date()
        defer { evaluationSeconds = Date().timeIntervalSince(evaluationStart) }
        let evaluation = try parallel.evaluate(model, on: setup.test, transform: setup.testTransform, batchSize: configuration.batchSize,
                                               workers: configuration.workers, seed: configuration.seed) { batch, batches in
            observer(.evaluating(epoch: epoch, batch: batch, batches: batches))
        }
        let validation = try setup.validation.map { held in
            try parallel.evaluate(model, on: held, transform: setup.testTransform, batchSize: configuration.batchSize,
                                  workers: configuration.workers, seed: configuration.seed) { batch, batches in
                observer(.evaluating(epoch: epoch, batch: batch, batches: batches))
            }
        }
        let record = EpochRecord(epoch: epoch + 1, trainLoss: state.partial.meanLoss, trainAccuracy: state.partial.accuracy,
                                 testLoss: evaluation.loss, testTop1: evaluation.top1, testTop5: evaluation.top5,
                                 learningRate: learningRate, imagesPerSecond: state.partial.imagesPerSecond,
                                 seconds: state.partial.seconds, meanSinkhornIterations: state.partial.meanIterations,
                                 validationLoss: validation?.loss, validationTop1: validation?.top1)
        records.append(record)
        // The best checkpoint is chosen on the held-out images when there are some, else on the test split.
        let selectionTop1 = validation?.top1 ?? evaluation.top1
        let improved = state.bestTop1.map { selectionTop1 > $0 } ?? true
        commit {
            state.elapsedSeconds += state.partial.seconds
            state.epoch = epoch + 1
            state.batch = 0
            state.partial = EpochAccumulator()
            if improved {
                state.bestTop1 = selectionTop1
                state.bestEpoch = epoch + 1
            }
        }
        if parallel.isLeader { try directory.writeMetrics(records) }
        try tensorBoard?.epoch(record, model: model)
        try saveCheckpoint(best: improved)
        observer(.epochFinished(record))
        observer(.checkpointSaved(path: directory.lastCheckpoint.path))
    }

    /// Rank 0 writes, once every rank has finished the step; no rank goes on (or exits, which
    /// would make mpirun end the job) before the files are complete.
    private func saveCheckpoint(best: Bool) throws {
        parallel.shareRunningStatistics(of: model)
        parallel.world.barrier(label: "barrier before the checkpoint")
        defer { parallel.world.barrier(label: "barrier after the checkpoint") }
        guard parallel.isLeader else { return }
        let step = finishedStep()
        let write = {
            try self.writeCheckpoint(step, to: self.directory.lastCheckpoint)
            if best { try self.writeCheckpoint(step, to: self.directory.bestCheckpoint) }
        }
        if let termination { try termination.whileWriting(step.state, write) } else { try write() }
    }

    /// Where the run stands after the last finished step, as a checkpoint holds it.
    private func finishedStep() -> TerminationCheckpoint.Step {
        var saved = state
        saved.generators = Dictionary(uniqueKeysWithValues: model.namedModules().compactMap { name, module in
            (module as? Dropout).map { (name, $0.generator.stateWords) }
        })
        return TerminationCheckpoint.Step(state: saved, buffers: Dictionary(uniqueKeysWithValues: buffers.map { ($0.name, $0.parameter.value) }))
    }

    private func writeCheckpoint(_ step: TerminationCheckpoint.Step, to url: URL) throws {
        try Checkpoint.write(to: url, model: model, optimizer: optimizer, configuration: configuration, state: step.state,
                             classNames: setup.train.classNames, buffers: step.buffers, backboneGraph: backboneGraph)
    }

    /// The backbone's graph at the run's input shape, stored in every checkpoint so it loads
    /// without this model's code; captured once (the structure does not change in a run).
    private lazy var backboneGraph: ModelGraph? = try? GraphCapture.capture(model.backbone,
                                                                           inputShape: [setup.inputChannels, setup.inputSize, setup.inputSize])

    /// Moves the run to its next finished step; the weights and momentum change only in here.
    private func commit(_ body: () -> Void) {
        guard let termination else { return body() }
        termination.commit {
            body()
            return finishedStep()
        }
    }

    /// Writes TensorBoard events into the run directory from now on (`TensorBoardLog`), train
    /// scalars every `logEvery` steps; on rank 0 only, the others do nothing.
    public func enableTensorBoard(logEvery: Int) throws {
        guard parallel.isLeader, tensorBoard == nil else { return }
        tensorBoard = try TensorBoardLog(directory: directory, setup: setup, model: model, batchesPerEpoch: batchesPerEpoch,
                                         state: state, logEvery: logEvery)
    }

    /// Under mpirun: from now on, a kill notice from mpirun saves the last finished step at once
    /// (see `TerminationCheckpoint`), and SIGINT or SIGTERM then end the process.
    public func saveOnTerminationNotices() {
        guard termination == nil else { return }
        let termination = TerminationCheckpoint(initial: finishedStep(), isLeader: parallel.isLeader, directory: directory.url.path) { step in
            try self.writeCheckpoint(step, to: self.directory.lastCheckpoint)
        }
        self.termination = termination
        InterruptSignal.installTerminationNotices()
        termination.start()
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
                               bestTop1: bestTestTop1, bestEpoch: state.bestEpoch ?? 0,
                               trainImagesPerSecond: seconds > 0 ? images / seconds : 0,
                               meanSinkhornIterations: iterations.isEmpty ? nil : iterations.reduce(0, +) / Double(iterations.count),
                               wallSeconds: state.elapsedSeconds,
                               bestValidationTop1: configuration.validationSplit == nil ? nil : state.bestTop1)
    }

    /// The test top-1 of the best checkpoint: the selection figure itself without a validation split.
    private var bestTestTop1: Double {
        guard configuration.validationSplit != nil else { return state.bestTop1 ?? 0 }
        return records.first { $0.epoch == state.bestEpoch }?.testTop1 ?? 0
    }
}
