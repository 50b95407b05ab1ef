import Foundation
import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Properties every entropic plan has, whatever the reference.
@Suite struct InvariantTests {
    static let costs = randomTensor([5, 49, 4], seed: 31, lower: 0, upper: 2)

    @Test(arguments: [SinkhornDomain.kernel, .log])
    func marginalsAreMet(_ domain: SinkhornDomain) throws {
        let result = try EntropicTransport(lambda: 0.1, threshold: 1e-7, domain: domain).solve(costs: Self.costs)
        let plan = result.plan.doubles
        for problem in 0..<5 {
            for row in 0..<49 {
                let sum = (0..<4).reduce(0.0) { $0 + plan[problem * 196 + row * 4 + $1] }
                #expect(abs(sum - 1.0 / 49) < 1e-6)
            }
            for column in 0..<4 {
                let sum = (0..<49).reduce(0.0) { $0 + plan[problem * 196 + $1 * 4 + column] }
                #expect(abs(sum - 0.25) < 1e-6)
            }
        }
        #expect(result.marginalErrors.allSatisfy { $0 < 1e-5 })
    }

    /// C_ij + r_i + s_j rescales alpha_i and beta_j only: the converged plan is unchanged.
    @Test(arguments: [SinkhornDomain.kernel, .log])
    func rowAndColumnConstantsLeaveThePlanUnchanged(_ domain: SinkhornDomain) throws {
        let solver = EntropicTransport(lambda: 0.1, threshold: 1e-7, domain: domain)
        let base = try solver.solve(costs: Self.costs).plan
        let rowShift = Tensor((0..<5 * 49).map { Float($0 % 7) * 0.05 }, shape: [5, 49, 1])
        let columnShift = Tensor([0.3, 0, 0.1, 0.2], shape: [1, 1, 4])
        let shifted = try solver.solve(costs: Self.costs + rowShift + columnShift).plan
        #expect(maximumAbsoluteError(shifted.doubles, base.doubles) < 1e-6)
    }

    /// Adding one constant to every cost changes neither the plan nor the stopping decisions
    /// (the relative change of alpha is scale-free), even after a few iterations.
    @Test func globalConstantKeepsIterationsAndPlan() throws {
        let solver = EntropicTransport(parameters: .paper)
        let base = try solver.solve(costs: Self.costs)
        let shifted = try solver.solve(costs: Self.costs + 0.7)
        #expect(base.iterations == shifted.iterations)
        #expect(maximumAbsoluteError(shifted.plan.doubles, base.plan.doubles) < 1e-6)
    }

    /// plan_ij = exp((f_i + g_j - C_ij) / lambda) with the returned potentials.
    @Test(arguments: [SinkhornDomain.kernel, .log])
    func potentialsReproduceThePlan(_ domain: SinkhornDomain) throws {
        let lambda: Float = 0.1
        let result = try EntropicTransport(lambda: lambda, threshold: 1e-6, domain: domain).solve(costs: Self.costs)
        let f = result.sourcePotentials.scalars, g = result.targetPotentials.scalars
        let cost = Self.costs.scalars, plan = result.plan.scalars
        #expect(result.sourcePotentials.shape == [5, 49] && result.targetPotentials.shape == [5, 4])
        for problem in 0..<5 {
            for row in 0..<49 {
                for column in 0..<4 {
                    let index = problem * 196 + row * 4 + column
                    let exponent = (Double(f[problem * 49 + row]) + Double(g[problem * 4 + column]) - Double(cost[index])) / Double(lambda)
                    #expect(abs(Foundation.exp(exponent) - Double(plan[index])) < 1e-6)
                }
            }
        }
    }

    /// The paper's head settings stop after a handful of iterations (Fig. 2 reports about 6).
    @Test func paperSettingsStopEarly() throws {
        let result = try EntropicTransport(parameters: .paper).solve(costs: Self.costs)
        #expect(result.allConverged)
        #expect(result.iterations.allSatisfy { (2...10).contains($0) })
    }

    /// A single (n, m) problem keeps its rank in every output.
    @Test func unbatchedShapes() throws {
        let result = try EntropicTransport(lambda: 0.1).solve(costs: randomTensor([7, 3], seed: 32, lower: 0, upper: 1))
        #expect(result.plan.shape == [7, 3])
        #expect(result.sourcePotentials.shape == [7] && result.targetPotentials.shape == [3])
    }
}
