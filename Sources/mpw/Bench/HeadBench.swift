import ArgumentParser
import Kernels
import MultiProxy
import Tensors

struct HeadBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "head",
        abstract: "Forward and forward+backward time of one classifier head on random feature maps.",
        discussion: """
            Features are non-negative (as after a ReLU) and channels-last, as a backbone hands them over. For the MPW and \
            Multi-FC cosine heads it also times the head's three matrix products alone at the same shapes (its GEMM bound) \
            and reports forward+backward over that bound.
            """
    )

    @Option(help: "Feature maps per batch.")
    var batch = 128

    @Option(help: "Number of classes K.")
    var classes = 100

    @Option(help: "Feature channels d.")
    var dim = 64

    @Option(help: "Feature map side (H = W).")
    var hw = 8

    @Option(help: "Timed repetitions (median reported).")
    var repetitions = 20

    @OptionGroup var heads: HeadOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--batch", batch), ("--classes", classes), ("--dim", dim), ("--hw", hw), ("--repetitions", repetitions))
    }

    func run() throws {
        compute.apply()
        var generator = RandomGenerator(seed: 1)
        let head = heads.configuration.makeHead(channels: dim, height: hw, width: hw, classes: classes, generator: &generator)
        let features = Tensor.randomUniform([batch, dim, hw, hw], generator: &generator).converted(to: .channelsLast)
        let seed = Tensor.randomNormal([batch, classes], generator: &generator)
        // The forward figure is evaluation's: the head in evaluation mode, no autodiff graph.
        head.eval()
        let forward = Timing.median(warmup: 3, minimumRuns: repetitions, minimumSeconds: 0) {
            _ = withoutGradients { head(features) }
        }
        head.train()
        let tracked = features.requiringGradient()
        var matching: [MatchingStatistics] = []
        let forwardBackward = Timing.median(warmup: 3, minimumRuns: repetitions, minimumSeconds: 0) {
            let (scores, statistics) = MatchingStatistics.recording { head(tracked) }
            _ = gradients(of: scores, withRespectTo: [tracked] + head.trainableParameters.map(\.value), seed: seed)
            matching = statistics
        }
        var report = Report()
        report.add("head", "head", heads.configuration.description)
        report.add("shape", "features", "\(batch) x \(dim) x \(hw) x \(hw), \(classes) classes")
        report.add("threads", "threads", Threads.count)
        report.add("forward_ms", "forward ms", forward * 1e3, decimals: 2)
        report.add("forward_backward_ms", "forward+backward ms", forwardBackward * 1e3, decimals: 2)
        report.add("mean_iterations", "mean Sinkhorn iterations", MatchingStatistics.meanIterations(of: matching) ?? 0, decimals: 2)
        if let multiProxy = head as? MultiProxyHead {
            let bound = HeadGEMMBound(vectors: batch * hw * hw, dimension: dim, proxies: multiProxy.classes * multiProxy.proxiesPerClass,
                                      repetitions: repetitions, generator: &generator)
            let boundSeconds = bound.forwardSeconds + bound.backwardSeconds
            report.add("gemm_forward_ms", "its forward GEMM alone ms", bound.forwardSeconds * 1e3, decimals: 2)
            report.add("gemm_bound_ms", "its 3 GEMMs alone ms (bound)", boundSeconds * 1e3, decimals: 2)
            report.add("forward_backward_over_bound", "forward+backward / bound", forwardBackward / boundSeconds, decimals: 2)
        }
        report.print(json: output.json)
    }
}
