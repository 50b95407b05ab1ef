import Tensors

/// What a batched entropic transport solve returns.
public struct EntropicTransportResult {
    /// The plans, shaped like the costs: (B, n, m), or (n, m) for one unbatched problem.
    /// Differentiable with respect to the costs when they require a gradient.
    public let plan: Tensor
    /// Source potentials f, (B, n) or (n): plan_ij = exp((f_i + g_j - C_ij) / lambda). Not
    /// differentiable.
    public let sourcePotentials: Tensor
    /// Target potentials g, (B, m) or (m).
    public let targetPotentials: Tensor
    /// One outcome per problem, in batch order.
    public let outcomes: [SinkhornOutcome]

    /// Iterations run by each problem.
    public var iterations: [Int] { outcomes.map(\.iterations) }

    /// The mean of `iterations`.
    public var meanIterations: Double {
        Double(outcomes.reduce(0) { $0 + $1.iterations }) / Double(max(1, outcomes.count))
    }

    /// Whether each problem met the stopping threshold within the iteration cap.
    public var converged: [Bool] { outcomes.map(\.converged) }

    public var allConverged: Bool { outcomes.allSatisfy(\.converged) }

    /// ||P 1 - mu||_1 + ||P^T 1 - nu||_1 of each plan.
    public var marginalErrors: [Float] { outcomes.map(\.marginalError) }

    /// The domain each problem was solved in.
    public var domains: [SinkhornDomain] { outcomes.map(\.domain) }
}
