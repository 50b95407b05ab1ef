import ArgumentParser
import Distributed
import Kernels
import Models
import MultiProxy
import NN
import Tensors
import Training

struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Training and evaluation throughput of a model on random images.",
        discussion: """
            Runs full SGD steps (forward, backward, update) on random inputs, then evaluation-mode forwards, and reports images per second and the peak resident memory. \
            Under mpirun, --batch is the global batch: each rank takes its part, gradients are summed in buckets while backward runs, \
            and the report adds the allreduce time per step, the share of it the backward pass did not hide, and the gradient bytes per step.
            """
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
    @OptionGroup var distributed: DistributedOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        guard ModelZoo.names.contains(model) else { throw ValidationError(ModelZoo.UnknownModel(name: model).description) }
        try requireCounts(("--classes", classes), ("--batch", batch), ("--steps", steps))
        if warmup < 0 { throw ValidationError("--warmup must not be negative, got \(warmup)") }
    }

    func run() throws {
        let world = try distributed.startWorld()
        try abortingJobOnError(world) { try measure(in: world) }
    }

    private func measure(in world: any Communicator) throws {
        compute.apply()
        let precision = try self.precision.resolved()
        if world.isLeader { PrecisionOptions.warnIfBFloat16IsSlower(precision) }
        let parallel = distributed.dataParallel(world, batchNorm: distributed.batchnorm)
        guard batch >= world.size else { throw ValidationError("--batch \(batch) is smaller than the \(world.size) ranks") }
        let localBatch = parallel.shard?.range(of: batch).count ?? batch
        var generator = RandomGenerator(seed: 1)
        let network = try ModelZoo.classifier(model, head: heads.configuration, classes: classes, generator: &generator)
        network.precision = precision
        let size = try ModelZoo.inputSize(of: model)
        var data = RandomGenerator(seed: 2 &+ UInt64(world.rank))
        let images = Tensor.randomNormal([localBatch, 3, size, size], generator: &data)
        let labels = (0..<localBatch).map { _ in Int32(data.nextInt(below: classes)) }
        let sgd = SGD(model: network, learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4)
        parallel.attach(network)

        network.train()
        func trainStep() {
            parallel.withBatchNormSynchronised {
                let loss = Tensor.crossEntropy(logits: network(images), labels: labels)
                parallel.backward(loss, localCount: localBatch, globalCount: batch)
            }
            sgd.step()
        }
        for _ in 0..<warmup { trainStep() }
        world.barrier(label: "benchmark barrier")
        parallel.resetTimes()
        let trainStart = Timing.now()
        for _ in 0..<steps { trainStep() }
        world.barrier(label: "benchmark barrier")
        let trainSeconds = Timing.now() - trainStart

        network.eval()
        let inference = InferenceModel(network)
        for _ in 0..<warmup { _ = inference(images) }
        let evalStart = Timing.now()
        var lastEvalMatching: [MatchingStatistics] = []
        for _ in 0..<steps { lastEvalMatching = MatchingStatistics.recording { inference(images) }.statistics }
        let evalSeconds = Timing.now() - evalStart
        let iterations = MatchingStatistics.meanIterations(of: lastEvalMatching)
        // Every rank's eval pass is its own: the slowest sets the pace.
        let slowestEval = world.allgather([evalSeconds], label: "benchmark allgather").map { $0[0] }.max() ?? evalSeconds
        guard world.isLeader else { return }

        var report = Report()
        report.add("model", "model", model)
        report.add("head", "head", heads.head)
        report.add("batch", "batch", batch)
        report.add("precision", "precision", (precision ?? .fp32).rawValue)
        report.add("threads", "threads", Threads.count)
        report.add("train_images_per_second", "train images/s", Double(batch * steps) / trainSeconds)
        report.add("eval_images_per_second", "eval images/s", Double(batch * steps) / slowestEval)
        report.add("step_seconds", "train step seconds", trainSeconds / Double(steps), decimals: 4)
        if world.isDistributed {
            report.add("ranks", "ranks", world.size)
            report.add("batchnorm", "BatchNorm", parallel.batchNorm.rawValue)
            report.add("gradient_bytes_per_step", "gradient bytes per step (each rank)", parallel.gradientBytesPerStep)
            report.add("buckets", "gradient buckets", parallel.bucketCount)
            report.add("allreduce_seconds_per_step", "gradient allreduce seconds per step", parallel.reducingSeconds / Double(steps), decimals: 4)
            report.add("exposed_seconds_per_step", "of which exposed (not hidden by backward)", parallel.exposedSeconds / Double(steps), decimals: 4)
            report.add("exposed_share", "exposed share of the allreduce time",
                       parallel.reducingSeconds > 0 ? min(1, parallel.exposedSeconds / parallel.reducingSeconds) : 0, decimals: 3)
            report.add("batchnorm_sync_seconds_per_step", "BatchNorm sync seconds per step", parallel.batchNormSeconds / Double(steps), decimals: 4)
        }
        report.add("peak_rss_bytes", "peak RSS bytes", Timing.peakResidentBytes())
        if let iterations { report.add("mean_iterations", "mean Sinkhorn iterations (last eval batch)", iterations, decimals: 2) }
        report.print(json: output.json)
    }
}
