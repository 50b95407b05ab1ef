/// Synchronised BatchNorm: when data-parallel training splits a batch over several processes,
/// it installs here a function that sums per-channel values over all of them (in the same call
/// order on every process). Training-mode batch normalisation then takes its mean and variance
/// over the whole batch, and its backward pass the two sums over the whole batch, so the
/// replicas compute what one process would on the full batch. Parameter gradients stay local
/// sums: the trainer reduces those with the other gradients.
///
/// The values travel in double and are rounded to float32 once, after the sum: rounding each
/// replica's share first would make the statistics depend on how the batch is split.
///
/// NN does not know how the sum travels; it is set once before training and cleared after.
public enum BatchStatisticsReduction {
    nonisolated(unsafe) public static var sumAcrossReplicas: ((inout [Double]) -> Void)?

    /// Sums `values` across the replicas (the identity when none is installed).
    static func sum(_ values: inout [Double]) {
        sumAcrossReplicas?(&values)
    }
}
