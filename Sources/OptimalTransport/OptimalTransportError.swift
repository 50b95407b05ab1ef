/// A user-supplied value that no transport problem can be solved with. Each case names the problem
/// (its index in the batch), the offending entry and the rule it breaks, so that `description` is
/// one line a command line can print as it is.
///
/// Shapes that do not fit together are programmer errors and trap instead, as everywhere in the
/// project; these are the values a caller may not control (costs computed from data, marginals
/// read from a file, hyper-parameters from flags).
public enum OptimalTransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// lambda must be finite and positive: the entropic problem degenerates at 0.
    case nonPositiveLambda(Float)
    /// The stopping threshold must be finite and non-negative (0 runs every iteration).
    case invalidThreshold(Float)
    /// At least one iteration is needed to produce a plan.
    case invalidMaximumIterations(Int)
    /// Costs must be finite: a NaN or infinite cost has no transport plan.
    case nonFiniteCost(problem: Int, row: Int, column: Int, value: Float)
    /// Costs must be non-negative, the convention of the kernel-domain solver (K = exp(-C/lambda) <= 1).
    case negativeCost(problem: Int, row: Int, column: Int, value: Float)
    /// Marginal entries must be finite and positive for Sinkhorn (a zero-mass bin has no finite
    /// dual potential); exact transport also accepts zero.
    case invalidMarginalEntry(marginal: Marginal, problem: Int, index: Int, value: Double)
    /// Each marginal must sum to 1 within `OptimalTransportError.marginalSumTolerance`.
    case marginalSumIsNotOne(marginal: Marginal, problem: Int, sum: Double)
    /// The KL relaxation tau of unbalanced transport must be positive (infinity: balanced).
    case nonPositiveRelaxation(Float)
    /// A stopping rule name that is not `relative` or `batch-absolute`.
    case unknownStopRule(String)
    /// The implicit gradient is derived for balanced transport only.
    case implicitGradientOfUnbalancedTransport

    /// Which side of the problem a marginal belongs to.
    public enum Marginal: String, Sendable {
        case source, target
    }

    /// How far a marginal's sum may be from 1: a few float32 roundings of a normalised vector.
    public static let marginalSumTolerance = 1e-6

    public var description: String {
        switch self {
        case .nonPositiveLambda(let value):
            return "optimal transport: lambda must be finite and positive, got \(value)"
        case .invalidThreshold(let value):
            return "optimal transport: the stopping threshold must be finite and non-negative, got \(value)"
        case .invalidMaximumIterations(let value):
            return "optimal transport: the maximum number of iterations must be at least 1, got \(value)"
        case .nonFiniteCost(let problem, let row, let column, let value):
            return "optimal transport: problem \(problem) has a non-finite cost \(value) at row \(row), column \(column)"
        case .negativeCost(let problem, let row, let column, let value):
            return "optimal transport: problem \(problem) has a negative cost \(value) at row \(row), column \(column); costs must be >= 0"
        case .invalidMarginalEntry(let marginal, let problem, let index, let value):
            return "optimal transport: problem \(problem) has \(marginal.rawValue) marginal entry \(index) = \(value); entries must be finite and positive (exact transport also accepts 0)"
        case .marginalSumIsNotOne(let marginal, let problem, let sum):
            return "optimal transport: problem \(problem) has a \(marginal.rawValue) marginal summing to \(sum); it must sum to 1 (within \(Self.marginalSumTolerance))"
        case .nonPositiveRelaxation(let value):
            return "optimal transport: the marginal relaxation tau must be positive (or infinity for balanced transport), got \(value)"
        case .unknownStopRule(let name):
            return "optimal transport: unknown stopping rule '\(name)'; choose relative or batch-absolute"
        case .implicitGradientOfUnbalancedTransport:
            return "optimal transport: the implicit gradient is available for balanced transport only; use the unrolled gradient with unbalanced transport"
        }
    }
}
