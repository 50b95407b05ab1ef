import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Both gradient modes against central finite differences of the forward solve (see
/// `gradientErrors`). lambda 0.5 keeps the plan smooth on the scale of the 1e-2 step.
@Suite struct FiniteDifferenceTests {
    static let costs = randomTensor([3, 6, 4], seed: 21, lower: 0.1, upper: 1)

    /// The unrolled gradient is the derivative of exactly the iterations run, so a fixed
    /// iteration count (threshold 0) makes the forward a smooth function to difference.
    @Test(arguments: [SinkhornDomain.kernel, .log], [3, 10])
    func unrolled(_ domain: SinkhornDomain, iterations: Int) throws {
        let solver = EntropicTransport(parameters: .fixedIterations(iterations, lambda: 0.5, domain: domain), gradient: .unrolled)
        let errors = gradientErrors([Self.costs]) { inputs in try! solver.solve(costs: inputs[0]).plan }
        #expect(errors[0] < 1e-2)
    }

    /// The implicit gradient is the derivative of the fixed point, which a tightly converged
    /// forward approximates to well below the finite-difference error.
    @Test(arguments: [SinkhornDomain.kernel, .log])
    func implicit(_ domain: SinkhornDomain) throws {
        let solver = EntropicTransport(lambda: 0.5, threshold: 1e-7, maximumIterations: 10_000, domain: domain, gradient: .implicit)
        let errors = gradientErrors([Self.costs]) { inputs in try! solver.solve(costs: inputs[0]).plan }
        #expect(errors[0] < 1e-2)
    }

    /// Non-uniform marginals and a non-square, m != 4 shape through the generic loops.
    @Test(arguments: [SinkhornGradient.unrolled, .implicit])
    func nonUniformMarginals(_ gradient: SinkhornGradient) throws {
        let costs = randomTensor([2, 5, 7], seed: 22, lower: 0.1, upper: 1)
        let source = Tensor([0.1, 0.3, 0.2, 0.25, 0.15], shape: [5])
        let target = Tensor([0.05, 0.2, 0.1, 0.15, 0.2, 0.1, 0.2], shape: [7])
        let parameters = gradient == .unrolled ? SinkhornParameters.fixedIterations(8, lambda: 0.5)
            : SinkhornParameters(lambda: 0.5, threshold: 1e-7, maximumIterations: 10_000)
        let solver = EntropicTransport(parameters: parameters, gradient: gradient)
        let errors = gradientErrors([costs]) { inputs in
            try! solver.solve(costs: inputs[0], sourceMarginals: source, targetMarginals: target).plan
        }
        #expect(errors[0] < 1e-2)
    }
}
