/// Where the Sinkhorn iterations run.
///
/// Both domains iterate the same mathematical sequence (Algorithm 1 of the paper: beta_0 = 1,
/// alpha_t = mu / (K beta_{t-1}), beta_t = nu / (K^T alpha_t)) and apply the same stopping rule,
/// so they stop at the same iteration and give the same plan up to rounding. They differ in what
/// they store: the kernel domain keeps alpha, beta and K = exp(-C/lambda) as floats (fast: one
/// fused multiply-add per matrix entry and half-step), the log domain keeps log alpha and
/// log beta and forms every sum with a log-sum-exp (a few exponentials per entry, but no
/// underflow however small lambda is).
public enum SinkhornDomain: Sendable, Equatable, CustomStringConvertible {
    /// The kernel domain when the kernel stays well inside the float range, the log domain
    /// otherwise, decided per problem by `SinkhornDomain.resolved(costRange:lambda:)`.
    case automatic
    /// Scalings alpha, beta and the Gibbs kernel in float32 (the paper's Algorithm 1).
    case kernel
    /// Log-scalings and log-sum-exp updates.
    case log

    /// The largest (max C - min C) / lambda the kernel domain accepts under `.automatic`.
    ///
    /// The kernel is formed from the cost minus its minimum (a constant shift of the cost leaves
    /// the plan and the stopping rule unchanged), so its entries lie in [exp(-range/lambda), 1].
    /// At 50 the smallest entry is about 2e-22 and the scalings, which grow roughly like the
    /// inverse of the smallest kernel column, stay below 1e25: far from float32's 1e-38 and 3e38
    /// limits even after multiplying by marginals of 1e-4, so no entry of K, alpha, beta or the
    /// plan underflows to a subnormal or overflows. Beyond it the log domain takes over.
    public static let kernelRangeLimit: Float = 50

    /// The domain a problem whose costs span `costRange` (max - min) is solved in.
    public func resolved(costRange: Float, lambda: Float) -> SinkhornDomain {
        switch self {
        case .kernel, .log: return self
        case .automatic: return costRange / lambda <= Self.kernelRangeLimit ? .kernel : .log
        }
    }

    public var description: String {
        switch self {
        case .automatic: return "automatic"
        case .kernel: return "kernel"
        case .log: return "log"
        }
    }
}
