import ArgumentParser
import Kernels
import Models
import MultiProxy
import NN
import Tensors

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training and evaluation throughput of a model on random images.",
        discussion: "Runs full SGD steps (forward, backward, update) on random inputs, then evaluation-mode forwards, and reports images per second and the peak resident memory."
    )

    @Option(help: "Backbone: \(ModelZoo.names.joined(separator: ", ")).")
    var model = "resnet20"

    @Option(help: "Number of classes.")
    var classes = 100

    @Option(help: "Images per step.")
    var batch = 128

    @Option(help: "Timed steps (after warm-up).")
    var steps = 20

    @Option(help: "Untimed warm-up steps.")
    var warmup = 3

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
        let size = try ModelZoo.inputSize(of: model)
        let images = Tensor.randomNormal([batch, 3, size, size], generator: &generator)
        let labels = (0..<batch).map { _ in Int32(generator.nextInt(below: classes)) }
        let sgd = SGD(model: network, learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)

        network.train()
        func trainStep() {
            let loss = Tensor.crossEntropy(logits: network(images), labels: labels)
            loss.backward()
            sgd.step()
        }
        for _ in 0..<warmup { trainStep() }
        let trainStart = Timing.now()
        for _ in 0..<steps { trainStep() }
        let trainSeconds = Timing.now() - trainStart

        network.eval()
        for _ in 0..<warmup { _ = withoutGradients { network(images) } }
        let evalStart = Timing.now()
        for _ in 0..<steps { _ = withoutGradients { network(images) } }
        let evalSeconds = Timing.now() - evalStart
        let iterations = (network.head as? MultiProxyHead)?.statistics.meanIterations

        var report = Report()
        report.add("model", "model", model)
        report.add("head", "head", heads.head)
        report.add("batch", "batch", batch)
        report.add("precision", "precision", (precision ?? .fp32).rawValue)
        report.add("threads", "threads", Threads.count)
        report.add("train_images_per_second", "train images/s", Double(batch * steps) / trainSeconds)
        report.add("eval_images_per_second", "eval images/s", Double(batch * steps) / evalSeconds)
        report.add("peak_rss_bytes", "peak RSS bytes", Timing.peakResidentBytes())
        if let iterations { report.add("mean_iterations", "mean Sinkhorn iterations (last eval batch)", iterations, decimals: 2) }
        report.print(json: output.json)
    }
}
