import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Invalid user values throw one typed, one-line error naming the problem and the entry.
@Suite struct BadInputTests {
    static let solver = EntropicTransport(lambda: 0.1)

    func costs(with value: Float, at index: Int) -> Tensor {
        var values = randomTensor([3, 5, 4], seed: 41, lower: 0, upper: 1).scalars
        values[index] = value
        return Tensor(values, shape: [3, 5, 4])
    }

    @Test func negativeCost() {
        #expect(throws: OptimalTransportError.negativeCost(problem: 1, row: 2, column: 3, value: -0.5)) {
            try Self.solver.solve(costs: costs(with: -0.5, at: 20 + 2 * 4 + 3))
        }
    }

    @Test(arguments: [Float.nan, .infinity, -.infinity])
    func nonFiniteCost(_ value: Float) throws {
        do {
            _ = try Self.solver.solve(costs: costs(with: value, at: 40 + 4 * 4 + 1))
            Issue.record("no error for cost \(value)")
        } catch {
            guard case .nonFiniteCost(let problem, let row, let column, _) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(problem == 2 && row == 4 && column == 1)
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func marginalsNotSummingToOne() {
        let costs = randomTensor([2, 5, 4], seed: 42, lower: 0, upper: 1)
        let source = Tensor([0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.21], shape: [2, 5])
        do {
            _ = try Self.solver.solve(costs: costs, sourceMarginals: source)
            Issue.record("no error for a source marginal summing to 1.01")
        } catch {
            guard case .marginalSumIsNotOne(.source, 1, let sum) = error else {
                Issue.record("wrong error \(error)")
                return
            }
            #expect(abs(sum - 1.01) < 1e-6)
        }
        let target = Tensor([0.25, 0.25, 0.25, 0.2499], shape: [4])
        #expect(throws: OptimalTransportError.self) { try Self.solver.solve(costs: costs, targetMarginals: target) }
        let withinTolerance = Tensor([0.25, 0.25, 0.25, 0.2500004], shape: [4])
        #expect(throws: Never.self) { try Self.solver.solve(costs: costs, targetMarginals: withinTolerance) }
    }

    @Test func nonPositiveMarginalEntry() {
        let costs = randomTensor([5, 4], seed: 43, lower: 0, upper: 1)
        #expect(throws: OptimalTransportError.invalidMarginalEntry(marginal: .target, problem: 0, index: 2, value: 0)) {
            try Self.solver.solve(costs: costs, targetMarginals: Tensor([0.5, 0.25, 0, 0.25], shape: [4]))
        }
        #expect(throws: OptimalTransportError.invalidMarginalEntry(marginal: .source, problem: 0, index: 0, value: Double(Float(-0.2)))) {
            try Self.solver.solve(costs: costs, sourceMarginals: Tensor([-0.2, 0.3, 0.3, 0.3, 0.3], shape: [5]))
        }
    }

    @Test(arguments: [Float(0), -0.1, .nan, .infinity])
    func invalidLambda(_ lambda: Float) {
        #expect(throws: OptimalTransportError.self) {
            try EntropicTransport(lambda: lambda).solve(costs: Tensor.ones([3, 2]))
        }
    }

    @Test func invalidThresholdAndIterations() {
        #expect(throws: OptimalTransportError.invalidThreshold(-1)) {
            try EntropicTransport(lambda: 0.1, threshold: -1).solve(costs: Tensor.ones([3, 2]))
        }
        #expect(throws: OptimalTransportError.invalidMaximumIterations(0)) {
            try EntropicTransport(lambda: 0.1, maximumIterations: 0).solve(costs: Tensor.ones([3, 2]))
        }
    }

    /// A solve that reaches the cap says so, and reports how far its plan is from the marginals.
    @Test func hittingTheIterationCapIsNotConvergence() throws {
        let costs = randomTensor([4, 64, 4], seed: 44, lower: 0, upper: 2)
        for domain in [SinkhornDomain.kernel, .log] {
            let result = try EntropicTransport(lambda: 0.05, threshold: 1e-9, maximumIterations: 4, domain: domain).solve(costs: costs)
            #expect(result.converged == [false, false, false, false])
            #expect(result.iterations == [4, 4, 4, 4])
            #expect(result.marginalErrors.allSatisfy { $0 > 1e-6 })
        }
    }

    @Test func exactTransportRejectsBadInput() {
        #expect(throws: OptimalTransportError.nonFiniteCost(problem: 0, row: 1, column: 0, value: .infinity)) {
            try ExactTransport.solve(cost: [0, 1, .infinity, 2], rows: 2, columns: 2)
        }
        #expect(throws: OptimalTransportError.marginalSumIsNotOne(marginal: .target, problem: 0, sum: 0.9)) {
            try ExactTransport.solve(cost: [0, 1, 1, 0], rows: 2, columns: 2, targetMarginal: [0.5, 0.4])
        }
    }

    @Test func messagesAreOneLine() {
        let errors: [OptimalTransportError] = [
            .nonPositiveLambda(0), .invalidThreshold(-1), .invalidMaximumIterations(0),
            .nonFiniteCost(problem: 0, row: 1, column: 2, value: .nan), .negativeCost(problem: 3, row: 0, column: 0, value: -1),
            .invalidMarginalEntry(marginal: .source, problem: 0, index: 1, value: 0),
            .marginalSumIsNotOne(marginal: .target, problem: 2, sum: 0.9),
        ]
        for error in errors {
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasPrefix("optimal transport: "))
        }
    }
}
