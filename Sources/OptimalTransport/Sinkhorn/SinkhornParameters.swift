/// The hyper-parameters of one entropic transport solve.
public struct SinkhornParameters: Sendable, Equatable {
    /// The entropic regularisation: the Gibbs kernel is exp(-C / lambda). Smaller is closer to
    /// exact transport and slower to converge.
    public var lambda: Float
    /// The solve stops after the first iteration t >= 2 whose relative L1 change of alpha,
    /// ||alpha_t - alpha_{t-1}||_1 / ||alpha_t||_1, is below this value (under `stopRule`
    /// `.batchAbsolute`: the batch's mean absolute change). 0 runs exactly `maximumIterations`
    /// iterations.
    public var threshold: Float
    /// The iteration cap; a solve that reaches it without meeting the threshold reports
    /// `converged == false`.
    public var maximumIterations: Int
    /// Kernel or log domain, or a choice per problem.
    public var domain: SinkhornDomain
    /// Per-problem relative change (the default) or the reference code's batch-wide absolute
    /// change. The per-problem kernels (`Sinkhorn.solve`) apply `.relative`; `.batchAbsolute`
    /// is applied by `EntropicTransport` and by fused callers through `BatchStopping`.
    public var stopRule: SinkhornStopRule = .relative
    /// nil for balanced transport (the paper's); a KL relaxation for unbalanced transport.
    public var relaxation: MarginalRelaxation? = nil

    public init(lambda: Float, threshold: Float = 1e-6, maximumIterations: Int = 1000, domain: SinkhornDomain = .automatic) {
        self.lambda = lambda
        self.threshold = threshold
        self.maximumIterations = maximumIterations
        self.domain = domain
    }

    /// The paper's head: lambda 0.1, threshold 0.1, at most 100 iterations, kernel domain.
    public static let paper = SinkhornParameters(lambda: 0.1, threshold: 0.1, maximumIterations: 100, domain: .kernel)

    /// Exactly `iterations` iterations (threshold 0), as fixed-iteration references do.
    public static func fixedIterations(_ iterations: Int, lambda: Float, domain: SinkhornDomain = .automatic) -> SinkhornParameters {
        SinkhornParameters(lambda: lambda, threshold: 0, maximumIterations: iterations, domain: domain)
    }

    /// Throws the first parameter no solve can use.
    public func validate() throws(OptimalTransportError) {
        guard lambda.isFinite, lambda > 0 else { throw .nonPositiveLambda(lambda) }
        guard threshold.isFinite, threshold >= 0 else { throw .invalidThreshold(threshold) }
        guard maximumIterations >= 1 else { throw .invalidMaximumIterations(maximumIterations) }
        try relaxation?.validate()
    }
}
