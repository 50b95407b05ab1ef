import Tensors

/// The shapes and memory of a batch of transport problems, checked once, with per-problem
/// pointers into the (contiguous) tensors.
struct TransportBatch: @unchecked Sendable {
    let costs: Tensor
    let sourceMarginals: Tensor?
    let targetMarginals: Tensor?
    let count: Int
    let rows: Int
    let columns: Int
    /// [B] for batched costs, [] for one (n, m) problem.
    let leadingShape: [Int]

    init(costs: Tensor, sourceMarginals: Tensor?, targetMarginals: Tensor?) {
        precondition(costs.rank == 2 || costs.rank == 3,
                     "entropicTransport: costs must be (B, n, m) or (n, m), got \(Shape.describe(costs.shape))")
        let batch = costs.rank == 3 ? [costs.shape[0]] : []
        let rows = costs.shape[costs.rank - 2], columns = costs.shape[costs.rank - 1]
        precondition(rows >= 1 && columns >= 1, "entropicTransport: empty problems, costs \(Shape.describe(costs.shape))")
        self.costs = costs.contiguous()
        self.sourceMarginals = sourceMarginals.map { Self.checked($0, length: rows, batch: batch, name: "source marginals") }
        self.targetMarginals = targetMarginals.map { Self.checked($0, length: columns, batch: batch, name: "target marginals") }
        self.rows = rows
        self.columns = columns
        leadingShape = batch
        count = batch.first ?? 1
    }

    /// A marginal tensor of shape batch + [length], or [length] shared by every problem.
    private static func checked(_ marginal: Tensor, length: Int, batch: [Int], name: String) -> Tensor {
        precondition(marginal.shape == batch + [length] || marginal.shape == [length],
                     "entropicTransport: \(name) must be \(Shape.describe(batch + [length])) or [\(length)], got \(Shape.describe(marginal.shape))")
        return marginal.contiguous()
    }

    var scratchCount: Int { Sinkhorn.scratchCount(rows: rows, columns: columns) }

    func cost(_ index: Int) -> UnsafePointer<Float> {
        UnsafePointer(costs.storage.pointer + index * rows * columns)
    }

    func problem(_ index: Int) -> SinkhornProblem {
        SinkhornProblem(rows: rows, columns: columns, cost: MatrixView(cost(index), rowStride: columns),
                        sourceMarginal: sourceMarginals.map { Self.vector($0, index: index, length: rows) },
                        targetMarginal: targetMarginals.map { Self.vector($0, index: index, length: columns) })
    }

    private static func vector(_ marginal: Tensor, index: Int, length: Int) -> UnsafePointer<Float> {
        UnsafePointer(marginal.storage.pointer + (marginal.count == length ? 0 : index * length))
    }

    /// Checks the marginals' entries, and their sums unless `requireUnitSum` is false (unbalanced transport).
    func validateMarginals(requireUnitSum: Bool) throws(OptimalTransportError) {
        if let sourceMarginals {
            try InputValidation.checkMarginals(sourceMarginals.storage.pointer, problems: sourceMarginals.count / rows,
                                               length: rows, side: .source, requireUnitSum: requireUnitSum)
        }
        if let targetMarginals {
            try InputValidation.checkMarginals(targetMarginals.storage.pointer, problems: targetMarginals.count / columns,
                                               length: columns, side: .target, requireUnitSum: requireUnitSum)
        }
    }
}
