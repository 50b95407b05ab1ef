import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Limits and edge cases of unbalanced transport.
@Suite struct UnbalancedPropertyTests {
    static func costs(problems: Int = 3, rows: Int = 20, columns: Int = 4, seed: UInt64 = 11) -> Tensor {
        randomTensor([problems, rows, columns], seed: seed, lower: 0, upper: 2)
    }

    func solve(_ costs: Tensor, tau: Float?, domain: SinkhornDomain, iterations: Int = 7) throws -> EntropicTransportResult {
        var parameters = SinkhornParameters.fixedIterations(iterations, lambda: 0.1, domain: domain)
        parameters.relaxation = tau.map { MarginalRelaxation($0) }
        return try EntropicTransport(parameters: parameters, gradient: .unrolled).solve(costs: costs)
    }

    /// tau = infinity is Algorithm 1 itself (the same plans after the same iterations), and a
    /// large finite tau approaches it.
    @Test(arguments: [SinkhornDomain.kernel, .log])
    func infiniteTauIsBalanced(_ domain: SinkhornDomain) throws {
        let costs = Self.costs()
        let balanced = try solve(costs, tau: nil, domain: domain).plan
        #expect(maximumAbsoluteError(try solve(costs, tau: .infinity, domain: domain).plan.doubles, balanced.doubles) < 1e-7)
        #expect(maximumAbsoluteError(try solve(costs, tau: 1e5, domain: domain).plan.doubles, balanced.doubles) < 1e-5)
    }

    /// Mass leaves the plan as tau falls, and tau down to 1e-3 (a plan of mass near 0) stays finite,
    /// forward and backward, in both domains.
    @Test(arguments: [SinkhornDomain.kernel, .log])
    func smallTauIsFiniteAndShrinksTheMass(_ domain: SinkhornDomain) throws {
        var masses: [Double] = []
        for tau: Float in [10, 1, 0.1, 1e-3] {
            let costs = Self.costs().requiringGradient()
            let result = try solve(costs, tau: tau, domain: domain, iterations: 30)
            #expect(result.plan.scalars.allSatisfy { $0.isFinite && $0 >= 0 }, "tau \(tau)")
            let gradient = gradients(of: result.plan, withRespectTo: [costs], seed: randomTensor(costs.shape, seed: 3))[0]
            #expect(gradient.scalars.allSatisfy { $0.isFinite }, "tau \(tau)")
            masses.append(result.plan.doubles.reduce(0, +))
        }
        #expect(zip(masses, masses.dropFirst()).allSatisfy { $0 > $1 }, "\(masses)")
    }

    /// Over many iterations the log-domain backward (float32 record of b, exponentials in float)
    /// gives the kernel domain's gradient, balanced and unbalanced alike.
    @Test(arguments: [nil, 1, 0.1] as [Float?])
    func logDomainGradientMatchesKernelDomain(_ tau: Float?) throws {
        let costs = Self.costs(rows: 40).requiringGradient()
        let seed = randomTensor(costs.shape, seed: 4)
        func gradient(_ domain: SinkhornDomain) throws -> [Double] {
            var parameters = SinkhornParameters.fixedIterations(60, lambda: 0.05, domain: domain)
            parameters.relaxation = tau.map { MarginalRelaxation($0) }
            let result = try EntropicTransport(parameters: parameters, gradient: .unrolled).solve(costs: costs)
            return gradients(of: result.plan, withRespectTo: [costs], seed: seed)[0].doubles
        }
        // Measured 6e-7 to 1e-6 (Intel Xeon, every kernel build).
        let error = relativeError(try gradient(.log), try gradient(.kernel))
        #expect(error < 1e-5, "tau \(String(describing: tau)): \(error)")
    }

    /// Unrolled gradients by finite differences, one value per side as well as two.
    @Test(arguments: [SinkhornDomain.kernel, .log])
    func gradientMatchesFiniteDifferences(_ domain: SinkhornDomain) throws {
        var parameters = SinkhornParameters.fixedIterations(6, lambda: 0.2, domain: domain)
        parameters.relaxation = MarginalRelaxation(source: 0.3, target: 2)
        let solver = EntropicTransport(parameters: parameters, gradient: .unrolled)
        let costs = Self.costs(problems: 2, rows: 6, columns: 3, seed: 5)
        let errors = gradientErrors([costs], epsilon: 1e-2) { inputs in (try? solver.solve(costs: inputs[0]).plan) ?? inputs[0] }
        #expect(errors[0] < 1e-2, "\(errors)")
    }

    @Test func badValuesThrowOneLineErrors() throws {
        for tau: Float in [0, -1, .nan] {
            var parameters = SinkhornParameters(lambda: 0.1)
            parameters.relaxation = MarginalRelaxation(tau)
            do {
                _ = try EntropicTransport(parameters: parameters).solve(costs: Self.costs())
                Issue.record("tau \(tau) accepted")
            } catch {
                #expect(!error.description.contains("\n") && error.description.contains("tau"), "\(error)")
            }
        }
        #expect(throws: OptimalTransportError.unknownStopRule("batch")) { try SinkhornStopRule(name: "batch") }
        #expect(try SinkhornStopRule(name: "batch-absolute") == .batchAbsolute)
        var parameters = SinkhornParameters(lambda: 0.1)
        parameters.relaxation = MarginalRelaxation(1)
        #expect(throws: OptimalTransportError.implicitGradientOfUnbalancedTransport) {
            try EntropicTransport(parameters: parameters, gradient: .implicit).solve(costs: Self.costs().requiringGradient())
        }
    }
}
