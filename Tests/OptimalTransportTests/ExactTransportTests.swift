import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Exact optimal transport against POT's `ot.emd` (network simplex, float64).
///
/// `emd_cost` is stored as float32, so "to 1e-9" is checked two ways: our double cost against
/// sum(emd_plan * C) recomputed in float64 from the stored float64 plan and costs (to 1e-9
/// absolute), and our cost rounded to float32 against the stored value (exactly equal: the
/// stored number is the float32 rounding of the reference's cost, about 3e-8 coarse).
@Suite struct ExactTransportTests {
    @Test(arguments: SinkhornOracle.allCases)
    func costMatchesReference(_ name: String) throws {
        let oracle = try SinkhornOracle(name)
        let cost = try oracle.costValues
        let solution = try ExactTransport.solve(cost: cost, rows: oracle.rows, columns: oracle.columns,
                                                sourceMarginal: oracle.uniform ? nil : try oracle.doubles("a"),
                                                targetMarginal: oracle.uniform ? nil : try oracle.doubles("b"))
        let reference = transportCost(try oracle.doubles("emd_plan"), cost)
        #expect(abs(solution.cost - reference) < 1e-9)
        #expect(Float(solution.cost) == Float(try oracle.doubles("emd_cost")[0]))
        #expect(solution.method == (oracle.rows == oracle.columns && oracle.uniform ? .assignment : .networkSimplex))
        expectMarginals(solution.plan, rows: oracle.rows, columns: oracle.columns,
                        source: try oracle.doubles("a"), target: try oracle.doubles("b"))
    }

    /// The square uniform case through the network simplex as well: both methods agree.
    @Test func networkSimplexAgreesWithAssignmentOnSquareCase() throws {
        let oracle = try SinkhornOracle("s10x10_l0.1")
        let cost = try oracle.costValues
        let plan = NetworkSimplex.solve(cost: cost, rows: 10, columns: 10, supply: try oracle.doubles("a"), demand: try oracle.doubles("b"))
        let reference = transportCost(try oracle.doubles("emd_plan"), cost)
        #expect(abs(transportCost(plan, cost) - reference) < 1e-9)
    }

    /// Random square problems: the assignment solver and the network simplex find the same cost.
    @Test(arguments: [1, 2, 5, 17, 40])
    func assignmentAndNetworkSimplexAgree(_ size: Int) throws {
        var generator = RandomGenerator(seed: UInt64(size))
        let cost = (0..<size * size).map { _ in Double(generator.nextUniform()) }
        let assignment = Assignment.minimumCost(cost: cost, size: size)
        #expect(Set(assignment).count == size)
        let assignmentCost = assignment.enumerated().reduce(0.0) { $0 + cost[$1.offset * size + $1.element] } / Double(size)
        let uniform = [Double](repeating: 1 / Double(size), count: size)
        let plan = NetworkSimplex.solve(cost: cost, rows: size, columns: size, supply: uniform, demand: uniform)
        #expect(abs(transportCost(plan, cost) - assignmentCost) < 1e-12)
    }

    /// Degenerate inputs: all costs equal, integer costs with many ties, one row, one column.
    @Test func degenerateProblems() throws {
        let ties = try ExactTransport.solve(cost: [Double](repeating: 0.5, count: 12 * 12), rows: 12, columns: 12)
        #expect(abs(ties.cost - 0.5) < 1e-12)
        var generator = RandomGenerator(seed: 3)
        let integers = (0..<30 * 20).map { _ in Double(Int(generator.nextUniform() * 3)) }
        let tied = try ExactTransport.solve(cost: integers, rows: 30, columns: 20)
        let reference = NetworkSimplex.solve(cost: integers.map { $0 + 1 }, rows: 30, columns: 20,
                                             supply: .init(repeating: 1.0 / 30, count: 30), demand: .init(repeating: 1.0 / 20, count: 20))
        #expect(abs(tied.cost - (transportCost(reference, integers.map { $0 + 1 }) - 1)) < 1e-12)
        expectMarginals(tied.plan, rows: 30, columns: 20, source: .init(repeating: 1.0 / 30, count: 30),
                        target: .init(repeating: 1.0 / 20, count: 20))
        let row = try ExactTransport.solve(cost: [1, 2, 3], rows: 1, columns: 3, targetMarginal: [0.2, 0.3, 0.5])
        #expect(abs(row.cost - (0.2 + 0.6 + 1.5)) < 1e-12)
        let column = try ExactTransport.solve(cost: [4, 5], rows: 2, columns: 1, sourceMarginal: [0.25, 0.75])
        #expect(abs(column.cost - (1 + 3.75)) < 1e-12)
    }

    /// A hand-checkable problem: moving mass along a line costs |i - j| per unit.
    @Test func lineTransport() throws {
        let cost: [Double] = [0, 1, 2, 1, 0, 1, 2, 1, 0]
        let solution = try ExactTransport.solve(cost: cost, rows: 3, columns: 3,
                                                sourceMarginal: [0.5, 0.5, 0], targetMarginal: [0, 0.5, 0.5])
        #expect(abs(solution.cost - 1) < 1e-12)
    }

    @Test func tensorInterfaceMatchesArrayInterface() throws {
        let oracle = try SinkhornOracle(SinkhornOracle.nonUniformCase)
        let fromTensor = try ExactTransport.solve(cost: try oracle.cost, sourceMarginal: try oracle.tensor("a"),
                                                  targetMarginal: try oracle.tensor("b"))
        #expect(fromTensor.rows == 12 && fromTensor.columns == 7)
        #expect(abs(fromTensor.cost - Double(try oracle.doubles("emd_cost")[0])) < 1e-6)
    }

    private func expectMarginals(_ plan: [Double], rows: Int, columns: Int, source: [Double], target: [Double]) {
        for row in 0..<rows {
            #expect(abs((0..<columns).reduce(0.0) { $0 + plan[row * columns + $1] } - source[row]) < 1e-12)
        }
        for column in 0..<columns {
            #expect(abs((0..<rows).reduce(0.0) { $0 + plan[$1 * columns + column] } - target[column]) < 1e-12)
        }
        #expect(plan.allSatisfy { $0 >= 0 })
    }
}
