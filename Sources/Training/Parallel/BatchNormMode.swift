/// How BatchNorm takes batch statistics when a batch is split over several ranks.
public enum BatchNormMode: String, CaseIterable, Sendable {
    /// Mean and variance over the whole global batch, and the matching backward sums: N ranks
    /// compute what one process computes on the full batch (the default).
    case sync
    /// Each rank's own part of the batch (PyTorch DDP's default): no extra collectives; the
    /// running statistics saved and evaluated are rank 0's.
    case local
}
