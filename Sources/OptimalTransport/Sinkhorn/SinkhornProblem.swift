/// One entropic transport problem as the per-problem kernels see it: an n x m cost matrix and its
/// two marginals, all borrowed from the caller's memory.
///
/// Preconditions (the batched `EntropicTransport` API checks them and throws; these kernels do
/// not, so that a fused caller that builds valid costs by construction pays nothing): costs are
/// finite and non-negative; marginal entries are finite, positive and each marginal sums to 1.
public struct SinkhornProblem {
    /// n, the number of source points (rows of the cost).
    public var rows: Int
    /// m, the number of target points (columns of the cost).
    public var columns: Int
    public var cost: MatrixView
    /// n source masses, or nil for the uniform 1/n.
    public var sourceMarginal: UnsafePointer<Float>?
    /// m target masses, or nil for the uniform 1/m.
    public var targetMarginal: UnsafePointer<Float>?

    public init(rows: Int, columns: Int, cost: MatrixView,
                sourceMarginal: UnsafePointer<Float>? = nil, targetMarginal: UnsafePointer<Float>? = nil) {
        precondition(rows >= 1 && columns >= 1, "SinkhornProblem: needs at least one row and one column, got \(rows) x \(columns)")
        precondition((cost.columnStride == 1 && cost.rowStride >= columns) || (cost.rowStride == 1 && cost.columnStride >= rows),
                     "SinkhornProblem: a \(rows) x \(columns) cost needs contiguous rows or columns, got strides \(cost.rowStride) and \(cost.columnStride)")
        self.rows = rows
        self.columns = columns
        self.cost = cost
        self.sourceMarginal = sourceMarginal
        self.targetMarginal = targetMarginal
    }
}

/// What one solve did.
public struct SinkhornOutcome: Sendable, Equatable {
    /// Iterations run: each is one alpha update followed by one beta update.
    public var iterations: Int
    /// True when the stopping rule was met within the iteration cap.
    public var converged: Bool
    /// ||plan 1 - mu||_1 + ||plan^T 1 - nu||_1 of the returned plan, summed in float32.
    public var marginalError: Float
    /// The domain the problem was solved in (never `.automatic`).
    public var domain: SinkhornDomain
}
