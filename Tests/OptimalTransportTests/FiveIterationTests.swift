import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Exactly five Algorithm-1 iterations and the gradient through them, against the reference
/// (float64 PyTorch autograd through the unrolled loop), in both domains.
@Suite struct FiveIterationTests {
    @Test(arguments: SinkhornOracle.gradientCases, [SinkhornDomain.kernel, .log])
    func planAndUnrolledGradient(_ name: String, domain: SinkhornDomain) throws {
        let oracle = try SinkhornOracle(name)
        let solver = EntropicTransport(parameters: .fixedIterations(5, lambda: oracle.lambda, domain: domain), gradient: .unrolled)
        let costs = try oracle.cost.requiringGradient()
        let result = try solver.solve(costs: costs, sourceMarginals: oracle.sourceMarginal, targetMarginals: oracle.targetMarginal)
        #expect(result.iterations == [5])
        #expect(result.converged == [false])
        #expect(maximumAbsoluteError(result.plan.doubles, try oracle.doubles("plan_iter5")) < 1e-6)

        let gradient = gradients(of: result.plan, withRespectTo: [costs], seed: try oracle.tensor("G"))[0]
        #expect(relativeError(gradient.doubles, try oracle.doubles("dC_iter5")) < 1e-5)
    }
}
