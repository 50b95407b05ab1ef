import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Unbalanced transport against POT 0.9.7's `sinkhorn_unbalanced` (Tests/Oracles/unbalanced.safetensors,
/// float64): converged plans, plans after exactly 5 iterations and the gradient through them,
/// in both domains.
@Suite struct UnbalancedOracleTests {
    static let cases: [(name: String, lambda: Float, tau: Float)] = [
        ("u64x4_l0.1_t1", 0.1, 1), ("u64x4_l0.1_t0.1", 0.1, 0.1), ("u49x4_l0.05_t10", 0.05, 10),
        ("u16x4_l0.1_t0.5", 0.1, 0.5), ("u10x10_l0.2_t1", 0.2, 1),
    ]

    func parameters(_ c: (name: String, lambda: Float, tau: Float), domain: SinkhornDomain, iterations: Int?) -> SinkhornParameters {
        var parameters = iterations.map { SinkhornParameters.fixedIterations($0, lambda: c.lambda, domain: domain) }
            ?? SinkhornParameters(lambda: c.lambda, threshold: 1e-7, maximumIterations: 20000, domain: domain)
        parameters.relaxation = MarginalRelaxation(c.tau)
        return parameters
    }

    @Test(arguments: cases, [SinkhornDomain.kernel, .log])
    func convergedPlan(_ c: (name: String, lambda: Float, tau: Float), domain: SinkhornDomain) throws {
        let file = try Oracles.file("unbalanced.safetensors")
        let solver = EntropicTransport(parameters: parameters(c, domain: domain, iterations: nil), gradient: .unrolled)
        let result = try solver.solve(costs: try file.tensor("\(c.name).cost"), sourceMarginals: try file.tensor("\(c.name).a"),
                                      targetMarginals: try file.tensor("\(c.name).b"))
        #expect(result.domains == [domain])
        #expect(result.allConverged)
        #expect(maximumAbsoluteError(result.plan.doubles, try file.doubles("\(c.name).plan")) < 1e-6, "\(c.name)")
    }

    @Test(arguments: cases, [SinkhornDomain.kernel, .log])
    func fiveIterationPlanAndGradient(_ c: (name: String, lambda: Float, tau: Float), domain: SinkhornDomain) throws {
        let file = try Oracles.file("unbalanced.safetensors")
        let solver = EntropicTransport(parameters: parameters(c, domain: domain, iterations: 5), gradient: .unrolled)
        let costs = try file.tensor("\(c.name).cost").requiringGradient()
        let result = try solver.solve(costs: costs, sourceMarginals: try file.tensor("\(c.name).a"),
                                      targetMarginals: try file.tensor("\(c.name).b"))
        #expect(result.iterations == [5])
        #expect(maximumAbsoluteError(result.plan.doubles, try file.doubles("\(c.name).plan_iter5")) < 1e-6, "\(c.name)")
        let gradient = gradients(of: result.plan, withRespectTo: [costs], seed: try file.tensor("\(c.name).G"))[0]
        #expect(relativeError(gradient.doubles, try file.doubles("\(c.name).dC_iter5")) < 1e-5, "\(c.name)")
    }
}
