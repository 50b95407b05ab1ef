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
            rank 0 writes the run directory. See the README section "Training on several machines".
            """
    )

    @Option(help: "A paper experiment (`mpw presets` lists them): fills every setting; flags given with it override them.")
    var preset: String?

    @Option(help: "Dataset: \(DatasetKind.allCases.filter { $0 != .cifar10_1 }.map(\.rawValue).joined(separator: ", ")).")
    var dataset: String?

    @Option(help: "Dataset directory (Fashion-MNIST defaults to the Debian package's).")
    var data: String?

    @Option(help: "Backbone: \(ModelZoo.names.joined(separator: ", ")).")
    var model: String?

    @OptionGroup var heads: HeadOptions

    @Option(help: "Epochs (default 200).")
    var epochs: Int?

    @Option(help: "Batch size (default 128).")
    var batch: Int?

    @Option(help: "Initial learning rate (default 0.1).")
    var lr: Float?

    @Option(help: "SGD momentum (default 0.9).")
    var momentum: Float?

    @Option(help: "Weight decay, added to the gradient (default 5e-4).")
    var wd: Float?

    @Flag(inversion: .prefixedNo, help: "Nesterov momentum.")
    var nesterov = false

    @Flag(help: "No weight decay on biases and normalisation parameters.")
    var noDecayNormBias = false

    @Option(help: "Learning-rate schedule: multistep:E1,E2,... (x0.1 at each epoch; E% for a fraction of the run; xF after the list for another factor, as in multistep:30%,60%,80%x0.2), cosine, or constant (default multistep:50%,75%).")
    var schedule: String?

    @Option(help: "Epochs of linear learning-rate warm-up (default 0).")
    var warmup: Double?

    @Option(help: "Label smoothing of the cross-entropy (default 0).")
    var labelSmoothing: Float?

    @Option(help: ArgumentHelp("Training augmentation: none, or comma-separated crop:P (random crop, P pixels of zero padding), rrc:S (RandomResizedCrop, area scale S to 1), flip[:P] (horizontal flip, probability 0.5 or P). Default per dataset: \(AugmentationSpec.defaultsSummary).", valueName: "spec"))
    var augment: String?

    @Flag(inversion: .prefixedNo, help: "CutMix (beta 1, probability 0.5), as in the PyramidNet recipe.")
    var cutmix = false

    @Option(help: "Grey 28x28 images: pad-to-32 (1-channel stem), pad-to-32-rgb (3-channel stem), none (28x28).")
    var greyscale: String?

    @Option(name: .customLong("cifar10.1"), help: "CIFAR-10.1 directory: a CIFAR-10 run evaluates its final and best checkpoints on it at the end (default: found next to --data).")
    var cifar10_1: String?

    @Option(help: "Train on the first N training images only.")
    var limitTrain: Int?

    @Option(help: "Evaluate on the first N test images only.")
    var limitTest: Int?

    @Option(help: "Random seed for initialisation, data order and augmentation (default 0).")
    var seed: UInt64?

    @Option(help: "Data loading threads (default 2).")
    var workers: Int?

    @Option(help: "Run directory (default runs/<dataset>-<model>-<head>-<time>).")
    var out: String?

    @Option(help: "Continue the run in this directory exactly where it stopped; takes every setting from its checkpoint.")
    var resume: String?

    @OptionGroup var fineTuning: FineTuningOptions

    @Option(help: "Without a terminal: print a progress line every N steps.")
    var logEvery = 50

    @Option(help: "Stop after N training steps of this invocation, saving a checkpoint as Ctrl-C does (resume continues).")
    var stopAfter: Int?

    @Flag(inversion: .prefixedNo, help: "Write TensorBoard events (events.out.tfevents.*) into the run directory.")
    var tensorboard = true

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var distributed: DistributedOptions
    @OptionGroup var precision: PrecisionOptions

    func validate() throws {
        try requireCounts(("--epochs", epochs), ("--batch", batch), ("--limit-train", limitTrain), ("--limit-test", limitTest), ("--log-every", logEvery), ("--stop-after", stopAfter))
        if let lr, !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be positive, got \(lr)") }
        if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        if let wd, !(wd >= 0) || !wd.isFinite { throw ValidationError("--wd must not be negative, got \(wd)") }
        if let warmup, !(warmup >= 0) || !warmup.isFinite { throw ValidationError("--warmup must not be negative, got \(warmup)") }
        if let labelSmoothing, !(labelSmoothing >= 0 && labelSmoothing < 1) {
            throw ValidationError("--label-smoothing must be in [0, 1), got \(labelSmoothing)")
        }
        if let workers, workers < 0 { throw ValidationError("--workers must not be negative, got \(workers)") }
        if nesterov && momentum == 0 { throw ValidationError("--nesterov needs a positive --momentum") }
        if let augment {
            do { _ = try TrainingConfiguration.parseAugmentation(augment) } catch { throw ValidationError("\(error)") }
        }
        if let preset, PaperPresets.named(preset) == nil { throw ValidationError(PresetExpansion.unknown(preset)) }
        if cifar10_1 != nil && (dataset ?? "fashion-mnist") != "cifar10" { throw ValidationError("--cifar10.1 needs --dataset cifar10") }
        if resume != nil {
            let runFlags: [(String, Bool)] = [
                ("--dataset", dataset != nil), ("--data", data != nil), ("--model", model != nil), ("--epochs", epochs != nil),
                ("--batch", batch != nil), ("--lr", lr != nil), ("--momentum", momentum != nil), ("--wd", wd != nil),
                ("--schedule", schedule != nil), ("--warmup", warmup != nil), ("--seed", seed != nil), ("--out", out != nil),
                ("--limit-train", limitTrain != nil), ("--limit-test", limitTest != nil), ("--greyscale", greyscale != nil),
                ("--label-smoothing", labelSmoothing != nil), ("--nesterov", nesterov), ("--cutmix", cutmix), ("--augment", augment != nil),
                ("--no-decay-norm-bias", noDecayNormBias), ("--threads", compute.threads != nil),
                ("--batchnorm", distributed.batchnorm != nil),
                ("--preset", preset != nil), ("--cifar10.1", cifar10_1 != nil),
            ] + fineTuning.flagsGiven
            if let flag = runFlags.first(where: \.1) {
                throw ValidationError("\(flag.0) cannot be combined with --resume: a resumed run keeps its own settings")
            }
        }
    }

    func resolvedConfiguration() throws -> TrainingConfiguration {
        let epochs = epochs ?? 200
        let schedule = try ScheduleSpecification(
            parsing: schedule.map { RelativeMilestones.resolve($0, epochs: epochs) } ?? "multistep:\(max(1, epochs / 2)),\(max(1, epochs * 3 / 4))",
            warmupEpochs: warmup ?? 0)
        var configuration = TrainingConfiguration(
            dataset: dataset ?? "fashion-mnist", dataDirectory: data, limitTrain: limitTrain, limitTest: limitTest,
            greyscaleAdaptation: greyscale ?? Transform.GreyscaleAdaptation.padTo32.rawValue, cutMix: cutmix, workers: workers ?? 2,
            model: model ?? "resnet20", head: HeadSettings(heads.configuration), epochs: epochs, batchSize: batch ?? 128,
            learningRate: lr ?? 0.1, momentum: momentum ?? 0.9, weightDecay: wd ?? 5e-4, nesterov: nesterov,
            decayNormalizationAndBias: !noDecayNormBias, labelSmoothing: labelSmoothing ?? 0, schedule: schedule,
            seed: seed ?? 0, threads: compute.threads ?? DistributedOptions.defaultThreads)
        configuration.precision = try precision.resolved()
        configuration.fineTuning = fineTuning.settings
        try configuration.resolveAugmentation(augment)
        configuration.preset = preset
        if configuration.dataset == "cifar10" {
            configuration.cifar10_1Directory = cifar10_1 ?? CIFAR10_1Location.next(toData: data)
        }
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
        if let resume {
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
            Threads.set(configuration.threads)
            if world.isLeader { PrecisionOptions.warnIfBFloat16IsSlower(configuration.precision) }
            let setup = try RunSetup(configuration)
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let directory = RunDirectory(out ?? "runs/\(configuration.dataset)-\(configuration.model)-\(configuration.head.kind)-\(stamp)")
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
        trainer.stopAfterSteps = stopAfter
        if tensorboard { try trainer.enableTensorBoard(logEvery: logEvery) }
        _ = try withExtendedLifetime(lock) { try TrainingSession.run(trainer, logEvery: logEvery) }
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
            print("\(configuration.model) + \(try configuration.head.configuration()) on \(configuration.dataset): \(trainer.setup.train.count) training / \(trainer.setup.test.count) test images, \(trainer.model.parameterCount) parameters, \(Threads.count) threads")
            if world.isDistributed {
                print("data-parallel over \(world.size) ranks: global batch \(configuration.batchSize), BatchNorm \(trainer.parallel.batchNorm.rawValue), \(Threads.count) threads per rank")
            }
            print("training transform (--augment \(trainer.setup.augmentation)): \(trainer.setup.trainTransform)")
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
        var table = TextTable(header: ["epoch", "train loss", "train acc", "test loss", "top-1", "top-5", "img/s"],
                              rightAligned: Set(0..<7))
        for r in records {
            table.add([String(r.epoch), format(r.trainLoss, 4), percent(r.trainAccuracy), format(r.testLoss, 4), percent(r.testTop1),
                       percent(r.testTop5), format(r.imagesPerSecond, 0)])
        }
        table.print()
        print("final top-1 \(percent(summary.finalTop1)), best \(percent(summary.bestTop1)) (epoch \(summary.bestEpoch)), \(format(summary.trainImagesPerSecond, 0)) img/s, \(duration(summary.wallSeconds)) of training")
    }
}
