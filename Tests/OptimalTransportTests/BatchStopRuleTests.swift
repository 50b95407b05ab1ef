import Foundation
import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// The batch-absolute stopping rule of `EntropicTransport`, against its definition evaluated
/// from fixed-count solves: T is the first t whose mean |alpha_t - alpha_{t-1}| over every
/// problem and row is below the threshold (alpha_0 = 1, alpha at its true scale exp(f / lambda)),
/// and the plans are those of exactly T iterations.
@Suite struct BatchStopRuleTests {
    /// The first t meeting the rule, from the potentials of fixed-count solves.
    func expectedIterations(_ costs: Tensor, lambda: Float, threshold: Float, domain: SinkhornDomain) throws -> Int {
        var previous = [Double](repeating: 1, count: costs.count / costs.shape[2])
        for t in 1...100 {
            let result = try EntropicTransport(parameters: .fixedIterations(t, lambda: lambda, domain: domain)).solve(costs: costs)
            let alpha = result.sourcePotentials.doubles.map { exp($0 / Double(lambda)) }
            let mean = zip(alpha, previous).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(alpha.count)
            if mean < Double(threshold) { return t }
            previous = alpha
        }
        return 100
    }

    /// Thresholds that stop before, at and after the first round's 8 iterations exercise the
    /// rebuild from the record and the continued rounds.
    @Test(arguments: [Float(0.5), 0.05, 0.002], [SinkhornDomain.kernel, .log])
    func stopsWhereTheRuleSays(_ threshold: Float, domain: SinkhornDomain) throws {
        let lambda: Float = 0.1
        let costs = randomTensor([6, 16, 4], seed: 21, lower: 0.2, upper: 1.2)
        var parameters = SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: 100, domain: domain)
        parameters.stopRule = .batchAbsolute
        let tracked = costs.requiringGradient()
        let result = try EntropicTransport(parameters: parameters, gradient: .unrolled).solve(costs: tracked)
        let expected = try expectedIterations(costs, lambda: lambda, threshold: threshold, domain: domain)
        #expect(Set(result.iterations) == [expected], "threshold \(threshold)")
        #expect(result.allConverged)

        let fixed = try EntropicTransport(parameters: .fixedIterations(expected, lambda: lambda, domain: domain), gradient: .unrolled)
            .solve(costs: tracked)
        #expect(maximumAbsoluteError(result.plan.doubles, fixed.plan.doubles) < 1e-7)
        let seed = randomTensor(costs.shape, seed: 4)
        let gradient = gradients(of: result.plan, withRespectTo: [tracked], seed: seed)[0]
        let fixedGradient = gradients(of: fixed.plan, withRespectTo: [tracked], seed: seed)[0]
        #expect(relativeError(gradient.doubles, fixedGradient.doubles) < 1e-6)
    }

    @Test func thresholdZeroRunsTheCap() throws {
        var parameters = SinkhornParameters(lambda: 0.1, threshold: 0, maximumIterations: 12)
        parameters.stopRule = .batchAbsolute
        let result = try EntropicTransport(parameters: parameters).solve(costs: randomTensor([3, 9, 4], seed: 2, lower: 0, upper: 2))
        #expect(result.iterations == [12, 12, 12])
        #expect(!result.allConverged)
    }
}
