/// The batch-wide stopping rule (`SinkhornStopRule.batchAbsolute`) for problems that each run in
/// cache on their own: one iteration count T for the batch, the first t at which the mean over
/// every problem and source point of |alpha_t - alpha_{t-1}| is below the threshold.
///
/// Iterating all problems in lockstep would sweep the whole batch through memory every
/// iteration. Instead the problems run independently in rounds, each to a common target count,
/// recording their per-iteration changes (and betas); after a round the per-iteration batch
/// means are reduced in a fixed order (so the decision does not depend on thread timing) and
///   - if some t <= target meets the threshold, T is the first such t: when T < target one more
///     cheap pass rebuilds each plan at T from its record (`Sinkhorn.solveIterations` with
///     iterations <= available), otherwise the round's plans are final;
///   - otherwise the next round continues from the record to a larger target.
/// A good first target (the previous batch's T, as the head passes) makes one round the usual
/// case. Threshold 0 (or the cap as target) runs the cap in one round.
public enum BatchStopping {
    /// Runs the rounds. `round(target, available, changes)` must bring every problem p to
    /// `target` iterations from the `available` its record holds, writing the change of each
    /// iteration t > available to changes[p * (target - available) + t - available - 1]
    /// (`changes` is nil for the final rebuild, when target < available).
    ///
    /// - Parameters:
    ///   - problems: the problems of the batch.
    ///   - points: source points summed over all problems (the mean's denominator).
    ///   - threshold: the batch mean of |alpha_t - alpha_{t-1}| below which the batch stops.
    ///   - maximumIterations: the cap on T.
    ///   - firstTarget: the first round's target, clamped to 1...maximumIterations.
    ///   - round: brings every problem to a target count, as described above.
    /// - Returns: T, and whether the threshold was met within `maximumIterations`.
    public static func run(problems: Int, points: Int, threshold: Float, maximumIterations: Int, firstTarget: Int,
                           round: (_ target: Int, _ available: Int, _ changes: UnsafeMutablePointer<Double>?) -> Void)
        -> (iterations: Int, converged: Bool) {
        var available = 0
        var target = threshold > 0 ? min(max(firstTarget, 1), maximumIterations) : maximumIterations
        let limit = Double(threshold) * Double(max(points, 1))
        while true {
            let span = target - available
            var changes = [Double](repeating: 0, count: problems * span)
            changes.withUnsafeMutableBufferPointer { round(target, available, $0.baseAddress!) }
            var stop: Int?
            for step in 0..<span {
                var total = 0.0
                for problem in 0..<problems { total += changes[problem * span + step] }
                if total < limit {
                    stop = available + step + 1
                    break
                }
            }
            if let stop {
                if stop < target { round(stop, target, nil) }
                return (stop, true)
            }
            if target == maximumIterations { return (target, false) }
            available = target
            target = min(maximumIterations, target + max(2, target / 2))
        }
    }
}
