import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Converged entropic plans against POT's log-domain Sinkhorn (stopThr 1e-13, float64).
@Suite struct ConvergedPlanTests {
    /// Tight enough that the float32 plans sit about 1e-8 from the fixed point.
    static let converged = (threshold: Float(1e-7), maximumIterations: 100_000)

    @Test(arguments: SinkhornOracle.gradientCases + ["s64x4_l0.01"])
    func automaticDomainMatchesReference(_ name: String) throws {
        let oracle = try SinkhornOracle(name)
        let solver = EntropicTransport(lambda: oracle.lambda, threshold: Self.converged.threshold,
                                       maximumIterations: Self.converged.maximumIterations)
        let result = try solver.solve(costs: oracle.cost, sourceMarginals: oracle.sourceMarginal,
                                      targetMarginals: oracle.targetMarginal)
        #expect(result.allConverged)
        #expect(result.domains == [oracle.lambda >= 0.05 ? .kernel : .log])
        #expect(maximumAbsoluteError(result.plan.doubles, try oracle.doubles("plan")) < 1e-6)
        #expect(result.marginalErrors[0] < 1e-6)
    }

    /// Forcing each domain on the kernel-domain cases: the log-domain solver matches too.
    @Test(arguments: SinkhornOracle.gradientCases, [SinkhornDomain.kernel, .log])
    func bothDomainsMatchReference(_ name: String, domain: SinkhornDomain) throws {
        let oracle = try SinkhornOracle(name)
        let solver = EntropicTransport(lambda: oracle.lambda, threshold: Self.converged.threshold,
                                       maximumIterations: Self.converged.maximumIterations, domain: domain)
        let result = try solver.solve(costs: oracle.cost, sourceMarginals: oracle.sourceMarginal,
                                      targetMarginals: oracle.targetMarginal)
        #expect(result.domains == [domain])
        #expect(maximumAbsoluteError(result.plan.doubles, try oracle.doubles("plan")) < 1e-6)
    }

    @Test func batchMatchesReference() throws {
        let file = try Oracles.file("sinkhorn.safetensors")
        let costs = try file.tensor("batch.C")
        let solver = EntropicTransport(lambda: 0.1, threshold: Self.converged.threshold,
                                       maximumIterations: Self.converged.maximumIterations)
        let result = try solver.solve(costs: costs)
        #expect(result.plan.shape == [6, 16, 4])
        #expect(result.allConverged)
        #expect(result.iterations.count == 6 && result.meanIterations > 1)
        #expect(maximumAbsoluteError(result.plan.doubles, try file.doubles("batch.plan")) < 1e-6)
    }

    /// Explicit marginals equal to the uniform ones give the uniform path's plan.
    @Test func explicitUniformMarginalsMatchImplicitOnes() throws {
        let oracle = try SinkhornOracle("s64x4_l0.1")
        let solver = EntropicTransport(lambda: 0.1, threshold: 1e-7)
        let implicit = try solver.solve(costs: oracle.cost)
        let explicit = try solver.solve(costs: oracle.cost, sourceMarginals: try oracle.tensor("a"),
                                        targetMarginals: try oracle.tensor("b"))
        #expect(implicit.plan.scalars == explicit.plan.scalars)
    }

    /// Shared (n) marginals apply to every problem of a batch.
    @Test func sharedMarginalsBroadcastOverTheBatch() throws {
        let oracle = try SinkhornOracle(SinkhornOracle.nonUniformCase)
        let single = try oracle.cost
        let batch = Tensor.stack([single, single, single])
        let solver = EntropicTransport(lambda: 0.1, threshold: 1e-7)
        let result = try solver.solve(costs: batch, sourceMarginals: try oracle.tensor("a"), targetMarginals: try oracle.tensor("b"))
        let reference = try oracle.doubles("plan")
        for problem in 0..<3 {
            let plan = result.plan.sliced(axis: 0, problem..<problem + 1).doubles
            #expect(maximumAbsoluteError(plan, reference) < 1e-6)
        }
    }
}
