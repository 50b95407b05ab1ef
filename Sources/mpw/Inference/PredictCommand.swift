import ArgumentParser
import Datasets
import Foundation
import Training

/// `mpw predict`: classifies a user's own image files with a trained checkpoint.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Classify JPEG and PNG images (files or folders) with a trained checkpoint.",
        discussion: """
        Each image goes through the checkpoint's own preprocessing: brought to its dataset's channels \
        (grey or colour) and, for 28x28 and 32x32 datasets, resized to that size; then the dataset's test \
        transform (padding of grey 28x28 images, or ImageNet's resize to 256 and centre crop to 224) and \
        normalisation. Unreadable files are reported one line each on standard error; the others are \
        still classified, and the exit status is then 1.
        """
    )

    @Option(help: "A checkpoint written by mpw train (last.safetensors or best.safetensors).")
    var checkpoint: String

    @Argument(help: ArgumentHelp("Image files, or folders searched recursively for .jpg, .jpeg and .png files.", valueName: "path"))
    var paths: [String] = []

    @Option(parsing: .unconditional, help: "Classes shown per image, most probable first.")
    var topk = 5

    @Flag(help: "Print one JSON object per image (JSON Lines) instead of a table.")
    var json = false

    @Flag(help: "Print CSV rows filename,rank,class,probability instead of a table.")
    var csv = false

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batch = 64

    @OptionGroup var compute: ComputeOptions

    var format: PredictionFormat { json ? .json : csv ? .csv : .table }

    func validate() throws {
        try requireCounts(("--topk", topk), ("--batch", batch))
        guard !paths.isEmpty else { throw ValidationError("name at least one image file or folder to classify") }
        guard !(json && csv) else { throw ValidationError("--json and --csv exclude each other") }
    }

    func run() throws {
        compute.apply()
        let model = try TrainedModel(checkpoint: try Checkpoint.read(URL(fileURLWithPath: checkpoint)))
        var progress: WorkProgress?
        let failures = try Self.predict(paths, model: model, top: topk, format: format, batch: batch,
                                        output: { print($0) }, error: ErrorLines.print) { done, total in
            progress = progress ?? WorkProgress("classifying", total: total, unit: "images")
            progress?.update(done: done)
        }
        progress?.finish()
        if failures > 0 {
            ErrorLines.print("\(failures) path\(failures == 1 ? "" : "s") could not be read")
            throw ExitCode(1)
        }
    }

    /// Classifies the images under `paths` batch by batch, sending result lines to `output`, one
    /// line per unreadable path to `error` and (files done, files) to `progress` after each batch;
    /// returns the number of unreadable paths.
    static func predict(_ paths: [String], model: TrainedModel, top: Int, format: PredictionFormat, batch: Int,
                        output: (String) -> Void, error: (String) -> Void, progress: (Int, Int) -> Void = { _, _ in }) throws -> Int {
        let (files, missing) = ImageFiles.collect(paths)
        missing.forEach(error)
        var failures = missing.count
        let top = min(top, model.classNames.count)
        var table = TextTable(header: ["file", "rank", "class", "probability"], rightAligned: [1, 3])
        if let header = format.header { output(header) }
        for start in stride(from: 0, to: files.count, by: batch) {
            let (images, errors) = ImageFiles.decode(Array(files[start..<min(start + batch, files.count)]))
            errors.forEach(error)
            failures += errors.count
            let ranked = try model.classify(images.map(\.image), top: top)
            progress(min(start + batch, files.count), files.count)
            for ((file, _), classes) in zip(images, ranked) {
                if format == .table {
                    PredictionFormat.tableRows(file: file, classes: classes).forEach { table.add($0) }
                } else {
                    format.lines(file: file, classes: classes).forEach(output)
                }
            }
        }
        if format == .table && !table.rows.isEmpty { table.print() }
        return failures
    }
}
