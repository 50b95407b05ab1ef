import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// The implicit-function gradient of the converged plan against the reference's converged
/// gradient (float64).
@Suite struct ImplicitGradientTests {
    @Test(arguments: SinkhornOracle.gradientCases)
    func matchesConvergedReference(_ name: String) throws {
        let oracle = try SinkhornOracle(name)
        let solver = EntropicTransport(lambda: oracle.lambda, threshold: 1e-7, maximumIterations: 100_000, gradient: .implicit)
        let costs = try oracle.cost.requiringGradient()
        let result = try solver.solve(costs: costs, sourceMarginals: oracle.sourceMarginal, targetMarginals: oracle.targetMarginal)
        let gradient = gradients(of: result.plan, withRespectTo: [costs], seed: try oracle.tensor("G"))[0]
        #expect(relativeError(gradient.doubles, try oracle.doubles("dC")) < 1e-4)
    }

    /// Many unrolled iterations converge to the implicit gradient (both are the derivative of
    /// the same fixed point once the iterates stop moving).
    @Test func unrolledGradientTendsToImplicitOne() throws {
        let oracle = try SinkhornOracle("s49x4_l0.1")
        let upstream = try oracle.tensor("G")
        let costs = try oracle.cost.requiringGradient()
        let unrolled = try EntropicTransport(parameters: .fixedIterations(300, lambda: 0.1), gradient: .unrolled).solve(costs: costs)
        let implicit = try EntropicTransport(lambda: 0.1, threshold: 1e-7, gradient: .implicit).solve(costs: costs)
        let unrolledGradient = gradients(of: unrolled.plan, withRespectTo: [costs], seed: upstream)[0]
        let implicitGradient = gradients(of: implicit.plan, withRespectTo: [costs], seed: upstream)[0]
        #expect(relativeError(unrolledGradient, implicitGradient) < 1e-4)
        #expect(relativeError(implicitGradient.doubles, try oracle.doubles("dC")) < 1e-4)
    }

    /// The gradient does not depend on which target potential fixes the gauge: a constant
    /// upstream gradient (the plan's total mass is fixed) gives a zero cost gradient.
    @Test func constantUpstreamGivesZeroGradient() throws {
        let oracle = try SinkhornOracle("s64x4_l0.1")
        let costs = try oracle.cost.requiringGradient()
        let result = try EntropicTransport(lambda: 0.1, threshold: 1e-7).solve(costs: costs)
        let gradient = gradients(of: result.plan, withRespectTo: [costs], seed: Tensor.full([64, 4], 3))[0]
        #expect(gradient.scalars.allSatisfy { abs($0) < 1e-5 })
    }
}
