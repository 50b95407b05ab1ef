import ArgumentParser
import Foundation
import Kernels
import MultiProxy
import Training

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Head to head on real data: ResNet-20 on Fashion-MNIST with the GAP-FC head, then with the MPW head.",
        discussion: """
            Both runs use the same seed and recipe (SGD, momentum 0.9, weight decay 5e-4, learning rate 0.1 with \
            cosine annealing, batch 128, random crop and flip), sized to finish in about 20 minutes on 2 cores. \
            Each run directory holds its metrics, checkpoints and summary.
            """
    )

    @Option(parsing: .unconditional, help: "Epochs per run.")
    var epochs = 4

    @Option(help: "Directory for the two run directories (default runs/demo-<time>).")
    var out: String?

    @Option(help: "Fashion-MNIST directory (default: the Debian package's).")
    var data: String?

    @Option(help: "Train on the first N images only (for a quick look).")
    var limitTrain: Int?

    @Option(help: "Evaluate on the first N test images only.")
    var limitTest: Int?

    @Option(help: "Without a terminal: print a progress line every N steps.")
    var logEvery = 100

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var precision: PrecisionOptions

    func validate() throws {
        try requireCounts(("--epochs", epochs), ("--limit-train", limitTrain), ("--limit-test", limitTest))
    }

    func run() throws {
        compute.apply()
        let precision = try self.precision.resolved()
        PrecisionOptions.warnIfBFloat16IsSlower(precision)
        let start = Date()
        let stamp = ISO8601DateFormatter().string(from: start).replacingOccurrences(of: ":", with: "")
        let base = out ?? "runs/demo-\(stamp)"
        var results: [(head: String, summary: TrainingSummary)] = []
        for kind in [HeadConfiguration.Kind.gapfc, .mpw] {
            var configuration = TrainingConfiguration(
                dataset: "fashion-mnist", dataDirectory: data, limitTrain: limitTrain, limitTest: limitTest, greyscaleAdaptation: "pad-to-32",
                cutMix: false, workers: 2, model: "resnet20", head: HeadSettings(HeadConfiguration(kind: kind)), epochs: epochs,
                batchSize: 128, learningRate: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: false, decayNormalizationAndBias: true,
                labelSmoothing: 0, schedule: ScheduleSpecification(shape: .cosine), seed: 0, threads: Threads.count)
            configuration.precision = precision
            try configuration.resolveAugmentation(nil)
            let setup = try RunSetup(configuration)
            let directory = RunDirectory("\(base)/\(kind.rawValue)")
            try directory.createForNewRun()
            try directory.writeConfiguration(configuration)
            print("\n== \(kind.rawValue) ==")
            results.append((kind.rawValue, try TrainingSession.run(try Trainer(setup: setup, directory: directory), logEvery: logEvery)))
        }
        print("\nResNet-20 on Fashion-MNIST, \(counted(epochs, "epoch")) each, same seed and recipe (\(counted(Threads.count, "thread"))):\n")
        var table = TextTable(header: ["head", "test top-1", "best top-1", "parameters", "train img/s", "Sinkhorn iterations"],
                              rightAligned: [1, 2, 3, 4, 5])
        for (head, s) in results {
            table.add([head, percent(s.finalTop1), percent(s.bestTop1), String(s.parameters), format(s.trainImagesPerSecond, 0),
                       s.meanSinkhornIterations.map { format($0, 2) } ?? "-"])
        }
        table.print()
        print("\nrun directories: \(base)/gapfc and \(base)/mpw")
        print("wall time: \(duration(Date().timeIntervalSince(start)))")
    }
}
