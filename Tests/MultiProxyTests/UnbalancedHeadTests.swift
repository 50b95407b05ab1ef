import MultiProxy
import OptimalTransport
import Testing
import Tensors
import TestSupport

/// The head with unbalanced transport: finite differences of the fused op for both score
/// conventions (raw Σ T ⊙ S and divided by Σ T), finite values at zero features and tiny tau,
/// and the balanced head recovered as tau -> infinity.
@Suite struct UnbalancedHeadTests {
    static func flow(tau: Float, normalized: Bool, stopRule: SinkhornStopRule = .relative, iterations: Int = 8) -> MatchingFlow {
        var sinkhorn = SinkhornParameters.fixedIterations(iterations, lambda: 0.1)
        sinkhorn.stopRule = stopRule
        var matching = WassersteinMatching(sinkhorn: sinkhorn, costExponent: 1, gradient: .unrolled)
        matching.transport = TransportSpecification(relaxation: MarginalRelaxation(tau), normalizesScoreByMass: normalized)
        return .wasserstein(matching)
    }

    func head(_ flow: MatchingFlow) -> MultiProxyHead {
        var generator = RandomGenerator(seed: 1)
        return MultiProxyHead(channels: 5, classes: 3, proxiesPerClass: 4, flow: flow, generator: &generator)
    }

    @Test(arguments: [false, true], [Float(0.05), 1])
    func fusedOpGradients(normalized: Bool, tau: Float) {
        let model = head(Self.flow(tau: tau, normalized: normalized))
        let features = randomTensor([2, 5, 3, 2], seed: 2)
        let proxies = model.proxies.value.detached()
        let errors = gradientErrors([features, proxies], epsilon: 2e-3) { inputs in
            model.proxies.value = inputs[1]
            return model(inputs[0])
        }
        for (index, error) in errors.enumerated() { #expect(error < 2e-2, "normalized \(normalized) tau \(tau) input \(index): \(error)") }
    }

    /// The two conventions differ exactly by the plan's mass, which is below 1 for finite tau.
    @Test func normalizedScoreIsRawScoreOverMass() {
        let features = randomTensor([2, 5, 3, 3], seed: 3, lower: 0, upper: 1)
        let raw = head(Self.flow(tau: 0.2, normalized: false))
        let normalized = head(Self.flow(tau: 0.2, normalized: true))
        let flow = raw.matchingFlow(for: features)
        let masses = flow.sum(axis: 3).sum(axis: 2)
        #expect(masses.scalars.allSatisfy { $0 > 0 && $0 < 1 })
        #expect(relativeError(normalized(features), raw(features) / masses) < 1e-5)
    }

    /// (Under the relative rule, which is blind to alpha's scale: POT's start, v = 1, puts the
    /// unbalanced alpha at M times the balanced one, so the absolute rule sees other changes.)
    @Test func infiniteTauIsTheBalancedHead() {
        let features = randomTensor([2, 5, 3, 3], seed: 4, lower: 0, upper: 1)
        let sinkhorn = SinkhornParameters.paperDefaults
        let balanced = head(.wasserstein(WassersteinMatching(sinkhorn: sinkhorn)))
        var matching = WassersteinMatching(sinkhorn: sinkhorn)
        matching.sinkhorn.relaxation = MarginalRelaxation(.infinity)
        let unbalanced = head(.wasserstein(matching))
        let (unbalancedScores, unbalancedStatistics) = MatchingStatistics.recording { unbalanced(features) }
        let (balancedScores, balancedStatistics) = MatchingStatistics.recording { balanced(features) }
        #expect(relativeError(unbalancedScores, balancedScores) < 1e-5)
        #expect(unbalancedStatistics == balancedStatistics)
    }

    @Test(arguments: [Float(1e-3), 0.1], [SinkhornStopRule.relative, .batchAbsolute])
    func zeroFeaturesAndTinyTauStayFinite(tau: Float, rule: SinkhornStopRule) {
        var sinkhorn = SinkhornParameters.paperDefaults
        sinkhorn.stopRule = rule
        sinkhorn.relaxation = MarginalRelaxation(tau)
        let model = head(.wasserstein(WassersteinMatching(sinkhorn: sinkhorn)))
        var features = randomTensor([2, 5, 3, 3], seed: 7, lower: 0, upper: 1)
        features.withUnsafeMutableBufferPointer { values in
            for c in 0..<5 { values[c * 9 + 4] = 0 }
            for i in 45..<90 { values[i] = 0 }
        }
        let x = features.requiringGradient()
        let scores = model(x)
        #expect(scores.scalars.allSatisfy { $0.isFinite })
        let grads = gradients(of: scores.sum(), withRespectTo: [x, model.proxies.value])
        #expect(grads[0].scalars.allSatisfy { $0.isFinite })
        #expect(grads[1].scalars.allSatisfy { $0.isFinite })
    }

    @Test func badSpecificationsAreOneLineErrors() {
        for text in ["unbalanced:0", "unbalanced:-1", "unbalanced:abc", "unbalanced", "partial:1", "unbalanced:1:sum", "unbalanced:1,2,3"] {
            do {
                _ = try TransportSpecification(text)
                Issue.record("\(text) accepted")
            } catch {
                #expect(error.description.contains(text) && !error.description.contains("\n"))
            }
        }
        #expect((try? TransportSpecification("unbalanced:0.5,2:normalized"))?.description == "unbalanced:0.5,2.0:normalized")
        #expect((try? TransportSpecification("balanced")) == .balanced)
    }
}
