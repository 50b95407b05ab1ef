import ArgumentParser
import Datasets
import Foundation
import Kernels
import Models
import MultiProxy
import Training

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a classifier: any backbone, any head, any dataset the data pipeline reads.",
        discussion: """
            Defaults follow the paper's CIFAR recipe: SGD with momentum 0.9 and weight decay 5e-4, learning rate 0.1, \
            batch 128, 200 epochs, the rate divided by 10 at 50% and 75% of the run, random crop and flip. \
            Grey 28x28 datasets (Fashion-MNIST, MNIST) are padded to 32x32 and the network's stem takes one channel \
            (--greyscale pad-to-32-rgb repeats the channel for an unmodified 3-channel stem instead).
            The run directory receives config.json, metrics.jsonl, last.safetensors, best.safetensors and summary.json. \
            Ctrl-C finishes the current step, saves, and prints how to resume.
            """
    )

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

    @Flag(help: "Nesterov momentum.")
    var nesterov = false

    @Flag(help: "No weight decay on biases and normalisation parameters.")
    var noDecayNormBias = false

    @Option(help: "Learning-rate schedule: multistep:E1,E2,... (x0.1 at each epoch), cosine, or constant (default multistep at 50% and 75% of the epochs).")
    var schedule: String?

    @Option(help: "Epochs of linear learning-rate warm-up (default 0).")
    var warmup: Double?

    @Option(help: "Label smoothing of the cross-entropy (default 0).")
    var labelSmoothing: Float?

    @Flag(help: "CutMix (beta 1, probability 0.5), as in the PyramidNet recipe.")
    var cutmix = false

    @Option(help: "Grey 28x28 images: pad-to-32 (1-channel stem), pad-to-32-rgb (3-channel stem), none (28x28).")
    var greyscale: String?

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

    @OptionGroup var compute: ComputeOptions

    func validate() throws {
        try requireCounts(("--epochs", epochs), ("--batch", batch), ("--limit-train", limitTrain), ("--limit-test", limitTest), ("--log-every", logEvery))
        if let lr, !(lr > 0) || !lr.isFinite { throw ValidationError("--lr must be positive, got \(lr)") }
        if let momentum, !(momentum >= 0 && momentum < 1) { throw ValidationError("--momentum must be in [0, 1), got \(momentum)") }
        if let wd, !(wd >= 0) || !wd.isFinite { throw ValidationError("--wd must not be negative, got \(wd)") }
        if let warmup, !(warmup >= 0) || !warmup.isFinite { throw ValidationError("--warmup must not be negative, got \(warmup)") }
        if let labelSmoothing, !(labelSmoothing >= 0 && labelSmoothing < 1) {
            throw ValidationError("--label-smoothing must be in [0, 1), got \(labelSmoothing)")
        }
        if let workers, workers < 0 { throw ValidationError("--workers must not be negative, got \(workers)") }
        if nesterov && momentum == 0 { throw ValidationError("--nesterov needs a positive --momentum") }
        if resume != nil {
            let runFlags: [(String, Bool)] = [
                ("--dataset", dataset != nil), ("--data", data != nil), ("--model", model != nil), ("--epochs", epochs != nil),
                ("--batch", batch != nil), ("--lr", lr != nil), ("--momentum", momentum != nil), ("--wd", wd != nil),
                ("--schedule", schedule != nil), ("--warmup", warmup != nil), ("--seed", seed != nil), ("--out", out != nil),
                ("--limit-train", limitTrain != nil), ("--limit-test", limitTest != nil), ("--greyscale", greyscale != nil),
                ("--label-smoothing", labelSmoothing != nil), ("--nesterov", nesterov), ("--cutmix", cutmix),
                ("--no-decay-norm-bias", noDecayNormBias), ("--threads", compute.threads != nil),
            ] + fineTuning.flagsGiven
            if let flag = runFlags.first(where: \.1) {
                throw ValidationError("\(flag.0) cannot be combined with --resume: a resumed run keeps its own settings")
            }
        }
    }

    func resolvedConfiguration() throws -> TrainingConfiguration {
        let epochs = epochs ?? 200
        let schedule = try ScheduleSpecification(
            parsing: schedule ?? "multistep:\(max(1, epochs / 2)),\(max(1, epochs * 3 / 4))", warmupEpochs: warmup ?? 0)
        var configuration = TrainingConfiguration(
            dataset: dataset ?? "fashion-mnist", dataDirectory: data, limitTrain: limitTrain, limitTest: limitTest,
            greyscaleAdaptation: greyscale ?? Transform.GreyscaleAdaptation.padTo32.rawValue, cutMix: cutmix, workers: workers ?? 2,
            model: model ?? "resnet20", head: HeadSettings(heads.configuration), epochs: epochs, batchSize: batch ?? 128,
            learningRate: lr ?? 0.1, momentum: momentum ?? 0.9, weightDecay: wd ?? 5e-4, nesterov: nesterov,
            decayNormalizationAndBias: !noDecayNormBias, labelSmoothing: labelSmoothing ?? 0, schedule: schedule,
            seed: seed ?? 0, threads: compute.threads ?? Threads.available)
        configuration.fineTuning = fineTuning.settings
        return configuration
    }

    func run() throws {
        let trainer: Trainer
        if let resume {
            let directory = RunDirectory(resume)
            let checkpoint = try Checkpoint.read(directory.lastCheckpoint)
            Threads.set(checkpoint.configuration.threads)
            trainer = try Trainer(setup: try RunSetup(checkpoint.configuration), directory: directory, resumingFrom: checkpoint)
            print("resuming \(directory.url.path) at epoch \(checkpoint.state.epoch + 1), batch \(checkpoint.state.batch)")
        } else {
            let configuration = try resolvedConfiguration()
            Threads.set(configuration.threads)
            let setup = try RunSetup(configuration)
            let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
            let directory = RunDirectory(out ?? "runs/\(configuration.dataset)-\(configuration.model)-\(configuration.head.kind)-\(stamp)")
            // The trainer first: a bad --init fails before the run directory is made.
            trainer = try Trainer(setup: setup, directory: directory)
            try directory.createForNewRun()
            try directory.writeConfiguration(configuration)
            if let initPath = configuration.fineTuning?.initPath, let transfer = trainer.headTransfer {
                print("initialised from \(initPath): \(transfer)")
            }
        }
        try TrainingSession.run(trainer, logEvery: logEvery)
    }
}

/// Runs a trainer with progress, signal handling and the closing report; shared by `train` and `demo`.
enum TrainingSession {
    @discardableResult
    static func run(_ trainer: Trainer, logEvery: Int) throws -> TrainingSummary {
        let configuration = trainer.setup.configuration
        print("\(configuration.model) + \(try configuration.head.configuration()) on \(configuration.dataset): \(trainer.setup.train.count) training / \(trainer.setup.test.count) test images, \(trainer.model.parameterCount) parameters, \(Threads.count) threads")
        print("run directory: \(trainer.directory.url.path)")
        let display = ProgressDisplay(interval: logEvery)
        InterruptSignal.install()
        defer { InterruptSignal.uninstall() }
        do {
            let summary = try trainer.train(observer: display.handle)
            display.finish()
            printSummary(summary, records: trainer.records)
            return summary
        } catch let stop as TrainingStop {
            display.finish()
            print("mpw: \(stop)")
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
