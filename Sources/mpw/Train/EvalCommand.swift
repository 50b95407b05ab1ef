import ArgumentParser
import Foundation
import Kernels
import Training

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a checkpoint: top-1, top-5, per-class accuracy and the confusion matrix.",
        discussion: "The model, head and preprocessing come from the checkpoint. --dataset evaluates on another test set with the same classes, e.g. a CIFAR-10 checkpoint on cifar10.1."
    )

    @Option(help: "A checkpoint written by mpw train (last.safetensors or best.safetensors).")
    var checkpoint: String

    @Option(help: "Test set to evaluate on (default: the checkpoint's dataset).")
    var dataset: String?

    @Option(help: "Its directory (default: the checkpoint's, for the same dataset).")
    var data: String?

    // `--limit-test` as in train and demo; `--limit`, its first name, stays as an alias.
    @Option(name: [.customLong("limit-test"), .customLong("limit")], parsing: .unconditional, help: "Evaluate on the first N test images only.")
    var limitTest: Int?

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batch = 256

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var precision: PrecisionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--batch", batch), ("--limit-test", limitTest))
    }

    func run() throws {
        compute.apply()
        let precision = try self.precision.resolved()
        PrecisionOptions.warnIfBFloat16IsSlower(precision)
        let contents = try Checkpoint.read(URL(fileURLWithPath: checkpoint))
        let setup = try EvaluationSetup(checkpoint: contents, datasetName: dataset, directory: data, limit: limitTest)
        setup.model.precision = precision
        let progress = WorkProgress("evaluating", total: setup.dataset.count, unit: "images")
        let report = try Evaluator.evaluate(setup.model, on: setup.dataset, transform: setup.transform, batchSize: batch,
                                            workers: 2, seed: contents.configuration.seed) { done, _ in
            progress.update(done: min(done * batch, setup.dataset.count))
        }
        progress.finish()
        if output.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let configuration = contents.configuration
        print("\(configuration.model) + \(configuration.head.kind) from \(checkpoint) on \(dataset ?? configuration.dataset) (\(report.samples) images)")
        print("top-1 \(percent(report.top1))   top-5 \(percent(report.top5))   loss \(format(report.loss, 4))" +
              (report.meanSinkhornIterations.map { "   Sinkhorn iterations \(format($0, 2))" } ?? ""))
        var perClass = TextTable(header: ["class", "name", "accuracy"], rightAligned: [2])
        for (index, (name, accuracy)) in zip(report.classNames, report.perClassAccuracy).enumerated() {
            perClass.add([String(index), name, accuracy.map(percent) ?? "-"])
        }
        print("")
        perClass.print()
        print("\nconfusion matrix (rows: true class, columns: predicted)")
        var confusion = TextTable(header: ["true"] + report.classNames.indices.map(String.init),
                                  rightAligned: Set(report.classNames.indices.map { $0 + 1 }))
        for (index, row) in report.confusion.enumerated() { confusion.add([String(index)] + row.map(String.init)) }
        confusion.print()
    }
}

