/// When the Sinkhorn iterations stop.
public enum SinkhornStopRule: String, Sendable, Equatable, CaseIterable, CustomStringConvertible {
    /// Per problem: after iteration t >= 2, stop when ||alpha_t - alpha_{t-1}||_1 / ||alpha_t||_1
    /// is below the threshold. Invariant to the scale of alpha; problems stop independently.
    case relative
    /// The rule of the authors' reference code: one iteration count for a whole batch, the first
    /// t >= 1 at which the mean over every problem and source point of |alpha_t - alpha_{t-1}|
    /// is below the threshold, with alpha_0 = beta_0 = 1. alpha is taken at its true scale,
    /// mu / (K beta) with K = exp(-C / lambda), so the rule depends on the cost's offset and on
    /// the batch; a one-problem "batch" applies it to that problem alone.
    case batchAbsolute = "batch-absolute"

    /// The rule named `name` (`relative` or `batch-absolute`).
    public init(name: String) throws(OptimalTransportError) {
        guard let rule = SinkhornStopRule(rawValue: name) else { throw .unknownStopRule(name) }
        self = rule
    }

    public var description: String { rawValue }
}
