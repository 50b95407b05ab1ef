import ArgumentParser
import Datasets
import Kernels

/// `mpw bench data`: input-pipeline throughput through the full training transform.
struct DataBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Images per second through the data loader with the full training transform.",
        discussion: "Reads the training split and runs the standard training transform (CIFAR recipe, or the ImageNet recipe for folders; grey 28x28 images padded to 32x32 and repeated to RGB by default) on --workers background threads, consuming batches as fast as they come. The first batches (as many as can be prepared ahead) are not timed."
    )

    @OptionGroup var selection: DatasetSelection

    @Option(help: "Images per batch.")
    var batch = 128

    @Option(help: "Background threads decoding and augmenting (0: on the consuming thread).")
    var workers = 2

    @Option(help: "Batches prepared ahead of the consumer.")
    var prefetch = 4

    @Option(help: "Seconds to measure (whole epochs are repeated as needed).")
    var seconds = 3.0

    @Option(help: "Use only the first n training images.")
    var limit: Int?

    @Option(help: "Grey 28x28 images: none, pad-to-32 or pad-to-32-rgb.")
    var greyscale: Transform.GreyscaleAdaptation = .padTo32RGB

    @Flag(help: "Add CutMix (probability 0.5, per batch) to the transform.")
    var cutmix = false

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--batch", batch), ("--limit", limit))
        if workers < 0 || prefetch < 0 { throw ValidationError("--workers and --prefetch must not be negative") }
        if seconds <= 0 { throw ValidationError("--seconds must be positive, got \(seconds)") }
    }

    func run() throws {
        compute.apply()
        let openStart = Timing.now()
        let dataset = try selection.open(.train).prefix(limit)
        let openSeconds = Timing.now() - openStart
        let transform = Transform.standard(for: selection.dataset, training: true, channels: dataset.channels,
                                           cutMix: cutmix ? CutMix() : nil, adaptation: greyscale)
        guard dataset.count > 0 else { throw ValidationError("the dataset is empty") }
        func makeLoader(epoch: Int) throws -> BatchLoader {
            try BatchLoader(dataset: dataset, batchSize: batch, shuffle: true, dropLast: false, transform: transform,
                            seed: 1, epoch: epoch, workers: workers, prefetch: prefetch)
        }
        var epoch = 0
        var current = try makeLoader(epoch: epoch)
        /// The next batch, starting a new epoch's loader when one runs out.
        func nextBatch() throws -> Batch {
            while true {
                if let next = try current.next() { return next }
                epoch += 1
                current = try makeLoader(epoch: epoch)
            }
        }
        // Untimed: the workers' start and every batch they could have prepared ahead, so the
        // timing covers steady state only.
        for _ in 0...max(prefetch, workers) { _ = try nextBatch() }
        var images = 0, batches = 0
        let start = Timing.now()
        while Timing.now() - start < seconds {
            images += try nextBatch().count
            batches += 1
        }
        let elapsed = Timing.now() - start

        var report = Report()
        report.add("dataset", "dataset", selection.dataset.rawValue)
        report.add("samples", "training samples", dataset.count)
        if !dataset.skippedFiles.isEmpty { report.add("skipped_files", "skipped unreadable files", dataset.skippedFiles.count) }
        report.add("sample_shape", "batch sample shape", current.sampleShape.map(String.init).joined(separator: "x"))
        report.add("transform", "transform", transform.description)
        report.add("batch", "batch", batch)
        report.add("workers", "workers", workers)
        report.add("threads", "threads", Threads.count)
        report.add("open_seconds", "open seconds", openSeconds, decimals: 2)
        report.add("batches", "timed batches", batches)
        report.add("images_per_second", "images/s", Double(images) / elapsed, decimals: 0)
        report.print(json: output.json)
    }
}
