/// How gradients of the plan with respect to the cost are formed.
public enum SinkhornGradient: Sendable, Equatable, CustomStringConvertible {
    /// The exact gradient of the truncated algorithm: the plan after the iterations actually run,
    /// differentiated through every alpha and beta update (as the paper trains). The stopping
    /// test itself is piecewise constant and contributes nothing. Memory grows with the number of
    /// iterations: the forward records beta after every iteration (m floats each).
    case unrolled
    /// The gradient of the exact entropic plan by the implicit function theorem applied to the
    /// marginal constraints at the plan the solver returned. It needs only the plan, so memory
    /// does not grow with the iterations; it is exact when the solve has converged and an
    /// approximation otherwise.
    case implicit

    public var description: String {
        switch self {
        case .unrolled: return "unrolled"
        case .implicit: return "implicit"
        }
    }
}
