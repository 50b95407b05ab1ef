/// Synchronised BatchNorm: when data-parallel training splits a batch over several processes,
/// the trainer runs each step inside `withReplicaSum` with a function that sums per-channel
/// values over all of them (in the same call order on every process). Training-mode batch
/// normalisation then takes its mean and variance over the whole batch, and its backward pass
/// the two sums over the whole batch, so the replicas compute what one process would on the
/// full batch. Parameter gradients stay local sums: the trainer reduces those with the other
/// gradients.
///
/// The values travel in double and are rounded to float32 once, after the sum: rounding each
/// replica's share first would make the statistics depend on how the batch is split.
///
/// NN does not know how the sum travels. The function is task-local, not global: two models
/// training in one process do not see each other's, and a layer's backward pass uses the one
/// its forward pass saw.
public enum BatchStatisticsReduction {
    /// A sum across replicas, called only from the thread that runs the step.
    public final class ReplicaSum: @unchecked Sendable {
        let body: (inout [Double]) -> Void

        public init(_ body: @escaping (inout [Double]) -> Void) {
            self.body = body
        }

        func callAsFunction(_ values: inout [Double]) { body(&values) }
    }

    /// The sum in force for the current task (nil: one process, nothing to sum).
    @TaskLocal public static var current: ReplicaSum?

    /// Runs `body` (a step's forward and backward passes) with BatchNorm summing over replicas.
    public static func withReplicaSum<R>(_ sum: ReplicaSum, _ body: () throws -> R) rethrows -> R {
        try $current.withValue(sum) { try body() }
    }
}
