import OptimalTransport
import Testing
import Tensors

/// The worked example of the OptimalTransport documentation catalog
/// (Sources/OptimalTransport/OptimalTransport.docc), as written there, with its invariants checked.
@Suite struct OptimalTransportDocumentationExampleTests {
    @Test func batchedSolveAndItsGradient() throws {
        var generator = RandomGenerator(seed: 1)
        let costs = Tensor.randomUniform([16, 64, 4], lower: 0, upper: 2, generator: &generator).requiringGradient()
        let transport = EntropicTransport(lambda: 0.1, threshold: 1e-4, maximumIterations: 500, gradient: .unrolled)
        let result = try transport.solve(costs: costs)
        #expect(result.plan.shape == [16, 64, 4] && result.allConverged)

        let transportCost = (result.plan * costs).sum()
        transportCost.backward()
        let gradient = try #require(costs.gradient)
        #expect(gradient.shape == [16, 64, 4])
        #expect(gradient.scalars.allSatisfy(\.isFinite) && gradient.scalars.contains { $0 != 0 })

        // Each plan carries its marginals: rows sum to 1/64, columns to 1/4.
        let plan = result.plan.scalars
        for problem in 0..<16 {
            for row in 0..<64 {
                let sum = (0..<4).reduce(Float(0)) { $0 + plan[(problem * 64 + row) * 4 + $1] }
                #expect(abs(sum - 1 / 64) < 1e-4)
            }
            for column in 0..<4 {
                let sum = (0..<64).reduce(Float(0)) { $0 + plan[(problem * 64 + $1) * 4 + column] }
                #expect(abs(sum - 0.25) < 1e-4)
            }
        }
    }
}
