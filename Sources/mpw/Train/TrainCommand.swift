import ArgumentParser
import Datasets
import Foundation
import Kernels
import Models
import MultiProxy
import Distributed
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier: any backbone, any head, any dataset the data pipeline reads.",
        discussion: """
            Defaults follow the paper's CIFAR recipe: SGD with momentum 0.9 and weight decay 5e-4, learning rate 0.1, \
            batch 128, 200 epochs, the rate divided by 10 at 50% and 75% of the run, random crop and flip (without the flip \
            for MNIST digits; see --augment). \
            Grey 28x28 datasets (Fashion-MNIST, MNIST) are padded to 32x32 and the network's stem takes one channel \
            (--greyscale pad-to-32-rgb repeats the channel for an unmodified 3-channel stem instead).
            The run directory receives config.json, metrics.jsonl, last.safetensors, best.safetensors and summary.json. \
            Ctrl-C finishes the current step, saves, and prints how to resume.
            Under mpirun every rank trains on its part of each global batch (--batch stays the global batch); \
            rank 0 writes the run directory. Several processes and hosts: docs/distributed.md.
            """
    )

    @OptionGroup(title: "Run") var runOptions: TrainRunOptions
    @OptionGroup(title: "Data") var data: TrainDataOptions
    @OptionGroup(title: "Model") var model: TrainModelOptions
    @OptionGroup(title: "Head") var heads: HeadOptions
    @OptionGroup(title: "Optimisation") var optimisation: TrainOptimisationOptions
    @OptionGroup(title: "Fine-tuning") var fineTuning: FineTuningOptions
    @OptionGroup(title: "Compute") var compute: ComputeOptions
    @OptionGroup(title: "Precision") var precision: PrecisionOptions
    @OptionGroup(title: "Several processes (mpirun)") var distributed: DistributedOptions

    func validate() throws {
        if runOptions.resume != nil {
            let runFlags: [(String, Bool)] = runOptions.flagsGiven + data.flagsGiven + optimisation.flagsGiven + [
                ("--model", model.model != nil), ("--threads", compute.threads != nil), ("--batchnorm", distributed.batchnorm != nil),
            ] + fineTuning.flagsGiven
            if let flag = runFlags.first(where: \.1) {
                throw ValidationError("\(flag.0) cannot be combined with --resume: a resumed run keeps its own settings")
            }
        }
    }

    func resolvedConfiguration() throws -> TrainingConfiguration {
        let epochs = optimisation.epochs ?? 200
        let schedule = try ScheduleSpecification(
            parsing: optimisation.schedule.map { RelativeMilestones.resolve($0, epochs: epochs) } ?? "multistep:\(max(1, epochs / 2)),\(max(1, epochs * 3 / 4))",
            warmupEpochs: optimisation.warmup ?? 0)
        var configuration = TrainingConfiguration(
            dataset: data.dataset ?? "fashion-mnist", dataDirectory: data.data, limitTrain: data.limitTrain, limitTest: data.limitTest,
            greyscaleAdaptation: data.greyscale ?? Transform.GreyscaleAdaptation.padTo32.rawValue, cutMix: data.cutmix, workers: data.workers ?? 2,
            model: model.model ?? "resnet20", head: HeadSettings(heads.configuration), epochs: epochs, batchSize: optimisation.batch ?? 128,
            learningRate: optimisation.lr ?? 0.1, momentum: optimisation.momentum ?? 0.9, weightDecay: optimisation.wd ?? 5e-4,
            nesterov: optimisation.nesterov, decayNormalizationAndBias: !optimisation.noDecayNormBias,
            labelSmoothing: optimisation.labelSmoothing ?? 0, schedule: schedule,
            seed: runOptions.seed ?? 0, threads: compute.threads ?? DistributedOptions.defaultThreads)
        configuration.precision = try precision.resolved()
        configuration.fineTuning = fineTuning.settings
        try configuration.resolveAugmentation(data.augment)
        configuration.preset = runOptions.preset
        if configuration.dataset == "cifar10" {
            configuration.cifar10_1Directory = data.cifar10_1 ?? CIFAR10_1Location.next(toData: data.data)
        }
        configuration.cifar100Labels = data.cifar100Labels?.rawValue
        configuration.skipBadImages = data.skipBad ? true : nil
        configuration.validationSplit = data.validationSplit
        return configuration
    }

    /// Parses `mpw train` arguments with their `--preset` expanded (as `mpw` itself does before parsing).
    static func parseWithPreset(_ arguments: [String]) throws -> TrainCommand {
        try parse(try PresetExpansion.expand(arguments))
    }

    func run() throws {
        let world = try distributed.startWorld()
        try abortingJobOnError(world) { try train(in: world) }
    }

    /// Rank 0 alone creates, locks and writes the run directory; every rank trains.
    private func train(in world: any Communicator) throws {
        let trainer: Trainer
        var lock: RunLock?
        if let resume = runOptions.resume {
            let directory = RunDirectory(resume)
            if world.isLeader {
                lock = try RunLock(directory)
                directory.removeLeftoverTemporaryFiles()
            }
            let checkpoint = try Checkpoint.read(directory.lastCheckpoint, sharedWith: world)
            var configuration = checkpoint.configuration
            // Another world size: the per-rank thread default of this one.
            if (configuration.worldSize ?? 1) != world.size {
                configuration.worldSize = world.size
                configuration.threads = DistributedOptions.defaultThreads
                if world.isLeader { try directory.writeConfiguration(configuration) }
            }
            // Checkpoints are float32 in either precision, so a run may resume in the other one.
            if let precision = try self.precision.resolved() { configuration.precision = precision }
            Threads.set(configuration.threads)
            if world.isLeader { PrecisionOptions.warnIfBFloat16IsSlower(configuration.precision) }
            trainer = try Trainer(setup: try RunSetup(configuration), directory: directory, resumingFrom: checkpoint,
                                  parallel: distributed.dataParallel(world, batchNorm: configuration.batchNorm))
            if world.isLeader { print("resuming \(directory.url.path) at epoch \(checkpoint.state.epoch + 1), batch \(checkpoint.state.batch)") }
        } else {
            var configuration = try resolvedConfiguration()
            configuration.worldSize = world.size
            configuration.batchNorm = world.isDistributed ? distributed.batchnorm ?? BatchNormMode.sync.rawValue : nil
            try NormalizationMeasurement.apply(to: &configuration, announce: world.isLeader)
            Threads.set(configuration.threads)
            if world.isLeader { PrecisionOptions.warnIfBFloat16IsSlower(configuration.precision) }
            let setup = try RunSetup(configuration)
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let directory = RunDirectory(runOptions.out ?? "runs/\(configuration.dataset)-\(configuration.model)-\(configuration.head.kind)-\(stamp)")
            // The trainer first: a bad --init fails before the run directory is made.
            trainer = try Trainer(setup: setup, directory: directory, parallel: distributed.dataParallel(world, batchNorm: configuration.batchNorm))
            if world.isLeader {
                try directory.createForNewRun()
                lock = try RunLock(directory)
                directory.removeLeftoverTemporaryFiles()
                try directory.writeConfiguration(configuration)
            }
            if world.isLeader, let initPath = configuration.fineTuning?.initPath, let transfer = trainer.headTransfer {
                print("initialised from \(initPath): \(transfer)")
            }
        }
        trainer.stopAfterSteps = runOptions.stopAfter
        if runOptions.tensorboard { try trainer.enableTensorBoard(logEvery: runOptions.logEvery) }
        _ = try withExtendedLifetime(lock) { try TrainingSession.run(trainer, logEvery: runOptions.logEvery) }
    }
}

/// Runs a trainer with progress, signal handling and the closing report; shared by `train` and `demo`.
enum TrainingSession {
    @discardableResult
    static func run(_ trainer: Trainer, logEvery: Int) throws -> TrainingSummary {
        let configuration = trainer.setup.configuration
        let leader = trainer.parallel.isLeader
        let world = trainer.parallel.world
        if leader {
            let held = trainer.setup.validation.map { " / \($0.count) validation (held out of the training split; best.safetensors is chosen on them)" } ?? ""
            print("\(configuration.model) + \(try configuration.head.configuration()) on \(configuration.dataset): \(trainer.setup.train.count) training\(held) / \(trainer.setup.test.count) test images, \(trainer.model.parameterCount) parameters, \(counted(Threads.count, "thread"))")
            if world.isDistributed {
                print("data-parallel over \(world.size) ranks: global batch \(configuration.batchSize), BatchNorm \(trainer.parallel.batchNorm.rawValue), \(counted(Threads.count, "thread")) per rank")
            }
            let skipped = trainer.setup.skippedFiles
            if !skipped.isEmpty {
                print("left out \(skipped.count) unreadable image file\(skipped.count == 1 ? "" : "s") (--skip-bad): \(skipped.prefix(5).joined(separator: ", "))\(skipped.count > 5 ? ", ..." : "")")
            }
            print("training transform (--augment \(trainer.setup.augmentation)): \(trainer.setup.trainTransform)")
            let leftOver = trainer.imagesLeftOverPerEpoch
            if leftOver > 0 {
                print("\(trainer.setup.train.count) training images at batch \(configuration.batchSize): \(counted(trainer.batchesPerEpoch, "full batch", plural: "full batches")) per epoch; the \(counted(leftOver, "image")) left over wait for the next epoch, a different draw each time (the order is reshuffled)")
            }
            print("run directory: \(trainer.directory.url.path)")
        }
        let display = ProgressDisplay(interval: logEvery)
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        if LaunchEnvironment.current() != nil { trainer.saveOnTerminationNotices() }
        do {
            let summary = try trainer.train(observer: leader ? display.handle : { _ in })
            if leader {
                display.finish()
                printSummary(summary, records: trainer.records)
            }
            return summary
        } catch let stop as TrainingStop {
            if leader {
                display.finish()
                print("mpw: \(stop)")
            }
            if case .interrupted = stop { throw ExitCode(130) }
            throw ExitCode.failure
        }
    }

    static func printSummary(_ summary: TrainingSummary, records: [EpochRecord]) {
        print("")
        let validated = records.contains { $0.validationTop1 != nil }
        let header = ["epoch", "train loss", "train acc"] + (validated ? ["val top-1"] : []) + ["test loss", "top-1", "top-5", "img/s"]
        var table = TextTable(header: header, rightAligned: Set(0..<header.count))
        for r in records {
            table.add([String(r.epoch), format(r.trainLoss, 4), percent(r.trainAccuracy)] + (validated ? [r.validationTop1.map(percent) ?? "-"] : [])
                      + [format(r.testLoss, 4), percent(r.testTop1), percent(r.testTop5), format(r.imagesPerSecond, 0)])
        }
        table.print()
        let speed = "\(format(summary.trainImagesPerSecond, 0)) img/s, \(duration(summary.wallSeconds)) of training"
        if let validationTop1 = summary.bestValidationTop1 {
            print("final test top-1 \(percent(summary.finalTop1)); best.safetensors: epoch \(summary.bestEpoch), chosen on validation top-1 \(percent(validationTop1)), test top-1 \(percent(summary.bestTop1)); \(speed)")
        } else {
            print("final top-1 \(percent(summary.finalTop1)), best \(percent(summary.bestTop1)) (epoch \(summary.bestEpoch), chosen on the test split), \(speed)")
        }
    }
}
