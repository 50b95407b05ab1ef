import ArgumentParser
import Kernels
import Models
import MultiProxy
import Tensors

struct EvalBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluation throughput and latency of a model's inference form on random images.",
        discussion: """
            Makes the inference form of a randomly initialised model (BatchNorm folded into the convolutions, ReLU and residual sums fused, \
            no autodiff graph), runs untimed warm-up batches, then times each batch: images/s over all timed batches, the 50th, 90th and 99th \
            percentile of the time per batch, and the peak resident memory of the process. --form training times the training graph in \
            evaluation mode instead, for comparison. --batch 1 gives the latency of one image, as `mpw predict` on one file sees it.
            """
    )

    enum Form: String, ExpressibleByArgument, CaseIterable {
        case inference
        case training
    }

    @Option(help: "Backbone: \(ModelZoo.names.joined(separator: ", ")).")
    var model = "resnet20"

    @Option(help: "Number of classes.")
    var classes = 10

    @Option(help: "Images per batch.")
    var batch = 64

    @Option(help: "Timed batches (after warm-up).")
    var steps = 20

    @Option(help: "Untimed warm-up batches.")
    var warmup = 3

    @Option(help: "What runs: inference (the inference form) or training (the training graph in evaluation mode).")
    var form = Form.inference

    @OptionGroup var heads: HeadOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var precision: PrecisionOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ModelZoo.names.contains(model) else { throw ValidationError(ModelZoo.UnknownModel(name: model).description) }
        try requireCounts(("--classes", classes), ("--batch", batch), ("--steps", steps))
        if warmup < 0 { throw ValidationError("--warmup must not be negative, got \(warmup)") }
    }

    func run() throws {
        compute.apply()
        let precision = try self.precision.resolved()
        var generator = RandomGenerator(seed: 1)
        let network = try ModelZoo.classifier(model, head: heads.configuration, classes: classes, generator: &generator)
        network.precision = precision
        network.eval()
        let size = try ModelZoo.inputSize(of: model)
        var data = RandomGenerator(seed: 2)
        let images = Tensor.randomNormal([batch, 3, size, size], generator: &data)

        let buildStart = Timing.now()
        let inference = form == .inference ? InferenceModel(network) : nil
        let buildSeconds = Timing.now() - buildStart
        func forward() {
            if let inference { _ = inference(images) } else { _ = withoutGradients { network(images) } }
        }
        for _ in 0..<warmup { forward() }
        var samples: [Double] = []
        for _ in 0..<steps {
            let start = Timing.now()
            forward()
            samples.append(Timing.now() - start)
        }
        let total = samples.reduce(0, +)
        samples.sort()
        /// Nearest-rank percentile of the sorted batch times.
        func percentile(_ p: Double) -> Double { samples[min(samples.count - 1, max(0, Int((p * Double(samples.count)).rounded(.up)) - 1))] }

        var report = Report()
        report.add("model", "model", model)
        report.add("head", "head", heads.head)
        report.add("form", "form", form.rawValue)
        report.add("convolutions", "convolutions", Convolution.algorithm.rawValue)
        report.add("batch", "batch", batch)
        report.add("precision", "precision", (precision ?? .fp32).rawValue)
        report.add("threads", "threads", Threads.count)
        report.add("eval_images_per_second", "eval images/s", Double(batch * steps) / total)
        report.add("latency_p50_ms", "batch latency p50 ms", percentile(0.5) * 1e3, decimals: 3)
        report.add("latency_p90_ms", "batch latency p90 ms", percentile(0.9) * 1e3, decimals: 3)
        report.add("latency_p99_ms", "batch latency p99 ms", percentile(0.99) * 1e3, decimals: 3)
        report.add("build_seconds", "inference form built in s", buildSeconds, decimals: 4)
        report.add("peak_rss_bytes", "peak RSS bytes", Timing.peakResidentBytes())
        report.add("workspace_bytes", "convolution workspace bytes", inference?.workspaceBytes ?? 0)
        report.print(json: output.json)
    }
}
