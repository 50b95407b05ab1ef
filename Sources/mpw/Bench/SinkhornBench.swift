import ArgumentParser
import Kernels
import OptimalTransport
import Tensors

struct SinkhornBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sinkhorn",
        abstract: "Batched entropic optimal transport: forward, and forward + backward with each gradient mode.",
        discussion: """
            Costs are uniform in [0, 2) (the range of 1 - cos), marginals uniform. With --iterations every \
            problem runs exactly that many Algorithm-1 iterations (threshold 0), as fixed-iteration references \
            do; otherwise the solve stops by --threshold (relative L1 change of alpha) or --max-iterations. \
            Forward + backward times include the backward of the plan for a random upstream gradient.
            """
    )

    @Option(help: "Number of independent problems.")
    var problems = 12800

    @Option(name: .customLong("n"), help: "Rows (source points) per problem.")
    var rows = 64

    @Option(name: .customLong("m"), help: "Columns (target points) per problem.")
    var columns = 4

    @Option(help: "Run exactly this many iterations (threshold 0).")
    var iterations: Int?

    @Option(help: "Entropic regularisation lambda.")
    var lambda: Float = 0.1

    @Option(help: "Stopping threshold on the relative L1 change of alpha (ignored with --iterations).")
    var threshold: Float = 0.1

    @Option(name: .customLong("max-iterations"), help: "Iteration cap (ignored with --iterations).")
    var maximumIterations = 100

    @OptionGroup var compute: ComputeOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try requireCounts(("--problems", problems), ("--n", rows), ("--m", columns), ("--iterations", iterations))
    }

    func run() throws {
        compute.apply()
        let parameters = iterations.map { SinkhornParameters.fixedIterations($0, lambda: lambda) }
            ?? SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: maximumIterations)
        try parameters.validate()
        var generator = RandomGenerator(seed: 1)
        let costs = Tensor.randomUniform([problems, rows, columns], lower: 0, upper: 2, generator: &generator)
        let upstream = Tensor.randomNormal([problems, rows, columns], generator: &generator)
        let tracked = costs.requiringGradient()

        let forwardSolver = EntropicTransport(parameters: parameters)
        let first = try forwardSolver.solve(costs: costs)
        let forward = Timing.median(minimumRuns: 5, minimumSeconds: 1) { _ = try? forwardSolver.solve(costs: costs) }

        func forwardBackward(_ gradient: SinkhornGradient) -> Double {
            let solver = EntropicTransport(parameters: parameters, gradient: gradient)
            return Timing.median(minimumRuns: 5, minimumSeconds: 1) {
                guard let result = try? solver.solve(costs: tracked) else { return }
                _ = gradients(of: result.plan, withRespectTo: [tracked], seed: upstream)
            }
        }

        var report = Report()
        report.add("threads", "threads", Threads.count)
        report.add("problems", "problems", problems)
        report.add("n", "n", rows)
        report.add("m", "m", columns)
        report.add("lambda", "lambda", Double(lambda), decimals: 3)
        report.add("mean_iterations", "mean iterations", first.meanIterations, decimals: 2)
        report.add("domain", "domain", first.domains.first.map(String.init(describing:)) ?? "")
        report.add("forward_ms", "forward ms", forward * 1e3, decimals: 2)
        report.add("unrolled_forward_backward_ms", "unrolled forward + backward ms", forwardBackward(.unrolled) * 1e3, decimals: 2)
        report.add("implicit_forward_backward_ms", "implicit forward + backward ms", forwardBackward(.implicit) * 1e3, decimals: 2)
        report.print(json: output.json)
    }
}
