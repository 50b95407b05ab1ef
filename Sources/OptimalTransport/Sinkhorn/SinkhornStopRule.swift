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

extension SinkhornStopRule {
    /// Runs `total` iterations through `loop(iterations, threshold, changes)`, a solver's loop
    /// that continues from its state: under the relative rule in one call with `threshold`;
    /// under a batch-rule round (`batchRule`) all of them, those up to `available` unrecorded and
    /// the rest writing their changes to `batchRule.changes`.
    static func iterate(_ total: Int, threshold: Float, batchRule: (changes: UnsafeMutablePointer<Double>?, available: Int)?,
                        _ loop: (ClosedRange<Int>, Float, UnsafeMutablePointer<Double>?) -> (iterations: Int, converged: Bool))
        -> (iterations: Int, converged: Bool) {
        guard let batchRule else { return loop(1...total, threshold, nil) }
        let unrecorded = batchRule.changes == nil ? total : min(batchRule.available, total)
        if unrecorded > 0 { _ = loop(1...unrecorded, 0, nil) }
        if total > unrecorded { _ = loop((unrecorded + 1)...total, 0, batchRule.changes) }
        return (total, false)
    }
}
