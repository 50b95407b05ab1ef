import OptimalTransport

/// How a multi-proxy head weighs the HW x M similarities <X_j, P_km> of a (sample, class) pair
/// (paper Eq. 5): the weights w_jm sum to 1 and the score is s_k = Σ_jm w_jm <X_j, P_km>.
public enum MatchingFlow: Sendable, Equatable {
    /// The paper's method (Eq. 8-12): w is the entropic optimal-transport plan between uniform
    /// masses on the HW features and on the M proxies, for the cost (1 - cos)^p.
    case wasserstein(WassersteinMatching)
    /// "Multi-FC cosine" (Table 4): w ∝ 1 + cos, the cosine similarity (Eq. 7) shifted to be
    /// non-negative (it is 2 - (1 - cos), the Wasserstein cost turned into a similarity) and
    /// normalised to sum to 1.
    case cosine
    /// "Multi-FC average": w = 1 / (HW·M), which reduces to GAP followed by the mean proxy.
    case uniform
}

/// The optimal-transport settings of the Wasserstein matching flow.
public struct WassersteinMatching: Sendable, Equatable {
    /// lambda, the stopping threshold on the relative L1 change of alpha, the iteration cap and
    /// the domain (kernel, log, or automatic: kernel unless (max C - min C)/lambda > 50).
    public var sinkhorn: SinkhornParameters
    /// p of the cost (1 - cos)^p.
    public var costExponent: Float
    /// Unrolled (the paper's: through the iterations run) or implicit (at the fixed point).
    public var gradient: SinkhornGradient
    /// With unbalanced transport (`sinkhorn.relaxation`), whether the score Σ T ⊙ S is divided
    /// by the plan's mass Σ T. Off by default: the mass a class's proxies attract is then part of
    /// its score. Balanced plans have mass 1, where the two agree.
    public var normalizesScoreByMass: Bool = false

    public init(sinkhorn: SinkhornParameters = .paperDefaults, costExponent: Float = 1, gradient: SinkhornGradient = .unrolled) {
        self.sinkhorn = sinkhorn
        self.costExponent = costExponent
        self.gradient = gradient
    }
}

extension SinkhornParameters {
    /// The paper's head settings (lambda 0.1, threshold 0.1, at most 100 iterations), with the
    /// domain chosen per problem so that small lambdas cannot underflow the kernel.
    public static let paperDefaults = SinkhornParameters(lambda: 0.1, threshold: 0.1, maximumIterations: 100, domain: .automatic)
}

/// Sinkhorn iteration counts of one batch (the statistics of the paper's Fig. 2).
public struct MatchingStatistics: Sendable, Equatable {
    public var meanIterations: Double
    public var maximumIterations: Int
    /// Problems that met the stopping threshold before the cap.
    public var convergedFraction: Double

    public static let none = MatchingStatistics(meanIterations: 0, maximumIterations: 0, convergedFraction: 1)
}
