import Tensors

/// Unregularised (exact) optimal transport for small problems, in double precision: the
/// reference entropic plans approach as lambda goes to 0, and a tool in its own right.
///
/// `solve` picks the method: the assignment solver when n = m and both marginals are uniform
/// (an optimal plan is then a permutation over n), the network simplex otherwise.
public enum ExactTransport {
    public enum Method: Sendable, Equatable {
        case assignment
        case networkSimplex
    }

    /// An optimal plan and its cost.
    public struct Solution: Sendable {
        public let rows: Int
        public let columns: Int
        /// Row-major rows x columns.
        public let plan: [Double]
        /// sum_ij plan_ij C_ij, summed in double precision.
        public let cost: Double
        public let method: Method
    }

    /// The minimum-cost plan for a row-major rows x columns `cost`.
    ///
    /// - Parameters:
    ///   - cost: rows x columns finite values, row-major; they may be negative.
    ///   - rows: n, the source points.
    ///   - columns: m, the target points.
    ///   - sourceMarginal: nil for uniform; else n non-negative masses summing to 1
    ///     (within `OptimalTransportError.marginalSumTolerance`).
    ///   - targetMarginal: nil for uniform; else m non-negative masses, as `sourceMarginal`.
    public static func solve(cost: [Double], rows: Int, columns: Int,
                             sourceMarginal: [Double]? = nil, targetMarginal: [Double]? = nil)
        throws(OptimalTransportError) -> Solution {
        precondition(rows >= 1 && columns >= 1 && cost.count == rows * columns,
                     "ExactTransport: \(cost.count) costs do not fill \(rows) x \(columns)")
        precondition(sourceMarginal.map { $0.count == rows } ?? true && targetMarginal.map { $0.count == columns } ?? true,
                     "ExactTransport: marginal lengths do not match \(rows) x \(columns)")
        if let index = cost.firstIndex(where: { !$0.isFinite }) {
            throw .nonFiniteCost(problem: 0, row: index / columns, column: index % columns, value: Float(cost[index]))
        }
        let supply = try checked(sourceMarginal, count: rows, side: .source)
        let demand = try checked(targetMarginal, count: columns, side: .target)

        let plan: [Double]
        let method: Method
        if rows == columns && isUniform(supply) && isUniform(demand) {
            let assignment = Assignment.minimumCost(cost: cost, size: rows)
            var permutation = [Double](repeating: 0, count: rows * columns)
            for (row, column) in assignment.enumerated() { permutation[row * columns + column] = 1 / Double(rows) }
            plan = permutation
            method = .assignment
        } else {
            plan = NetworkSimplex.solve(cost: cost, rows: rows, columns: columns, supply: supply, demand: demand)
            method = .networkSimplex
        }
        let total = zip(plan, cost).reduce(0.0) { $0 + $1.0 * $1.1 }
        return Solution(rows: rows, columns: columns, plan: plan, cost: total, method: method)
    }

    /// The same for an (n, m) cost tensor and optional (n) and (m) marginal tensors.
    public static func solve(cost: Tensor, sourceMarginal: Tensor? = nil, targetMarginal: Tensor? = nil)
        throws(OptimalTransportError) -> Solution {
        precondition(cost.rank == 2, "ExactTransport: the cost must be (n, m), got \(Shape.describe(cost.shape))")
        return try solve(cost: cost.scalars.map(Double.init), rows: cost.shape[0], columns: cost.shape[1],
                         sourceMarginal: sourceMarginal.map { $0.scalars.map(Double.init) },
                         targetMarginal: targetMarginal.map { $0.scalars.map(Double.init) })
    }

    /// The masses to move: uniform when nil, else validated (zero masses are allowed here).
    private static func checked(_ marginal: [Double]?, count: Int, side: OptimalTransportError.Marginal)
        throws(OptimalTransportError) -> [Double] {
        guard let marginal else { return Array(repeating: 1 / Double(count), count: count) }
        if let index = marginal.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw .invalidMarginalEntry(marginal: side, problem: 0, index: index, value: marginal[index])
        }
        let sum = marginal.reduce(0, +)
        guard abs(sum - 1) <= OptimalTransportError.marginalSumTolerance else {
            throw .marginalSumIsNotOne(marginal: side, problem: 0, sum: sum)
        }
        return marginal
    }

    private static func isUniform(_ masses: [Double]) -> Bool {
        let expected = 1 / Double(masses.count)
        return masses.allSatisfy { abs($0 - expected) <= 1e-15 }
    }
}
