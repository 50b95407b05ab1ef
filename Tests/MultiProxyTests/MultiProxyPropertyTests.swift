import MultiProxy
import NN
import OptimalTransport
import Testing
import Tensors
import TestSupport

@Suite struct MultiProxyPropertyTests {
    func head(classes: Int = 3, proxies: Int = 4, channels: Int = 5, flow: MatchingFlow, seed: UInt64 = 1) -> MultiProxyHead {
        var generator = RandomGenerator(seed: seed)
        return MultiProxyHead(channels: channels, classes: classes, proxiesPerClass: proxies, flow: flow, generator: &generator)
    }

    /// The threshold stop makes the iteration count (a step function of the inputs) part of the
    /// function, so finite differences use a fixed count (unrolled) or convergence (implicit).
    static let flows: [(String, MatchingFlow)] = [
        ("unrolled p1", .wasserstein(WassersteinMatching(sinkhorn: .fixedIterations(8, lambda: 0.1), costExponent: 1, gradient: .unrolled))),
        ("implicit p1", .wasserstein(WassersteinMatching(sinkhorn: SinkhornParameters(lambda: 0.1, threshold: 1e-6, maximumIterations: 500),
                                                         costExponent: 1, gradient: .implicit))),
        ("unrolled p2", .wasserstein(WassersteinMatching(sinkhorn: .fixedIterations(8, lambda: 0.1), costExponent: 2, gradient: .unrolled))),
        ("cosine", .cosine),
        ("uniform", .uniform),
    ]

    /// Finite differences of the whole fused op, with respect to features and proxies.
    @Test(arguments: flows)
    func fusedOpGradients(_ name: String, _ flow: MatchingFlow) {
        let model = head(flow: flow)
        let features = randomTensor([2, 5, 3, 2], seed: 2)
        let proxies = model.proxies.value.detached()
        let errors = gradientErrors([features, proxies], epsilon: 2e-3) { inputs in
            model.proxies.value = inputs[1]
            return model(inputs[0])
        }
        for (index, error) in errors.enumerated() { #expect(error < 2e-2, "\(name) input \(index): \(error)") }
    }

    @Test func largeLambdaMakesTheFlowUniformAndEqualsMultiFCAverage() throws {
        let mpw = head(flow: .wasserstein(WassersteinMatching(sinkhorn: SinkhornParameters(lambda: 1e6, threshold: 1e-7, maximumIterations: 50))))
        var generator = RandomGenerator(seed: 3)
        let average = MultiFCAverageHead(channels: 5, classes: 3, proxies: 4, generator: &generator)
        var state: [String: Tensor] = [:]
        let proxies = mpw.proxies.value
        for m in 0..<4 {
            state["fc.\(m).weight"] = proxies.sliced(axis: 1, m..<(m + 1)).reshaped([3, 5])
            state["fc.\(m).bias"] = Tensor.zeros([3])
        }
        try average.load(stateDict: state)
        let features = randomTensor([2, 5, 4, 4], seed: 4, lower: 0, upper: 2)
        let flow = mpw.matchingFlow(for: features)
        #expect(flow.scalars.allSatisfy { abs($0 - 1.0 / 64) < 1e-6 })
        let expected = average(features)
        #expect(relativeError(mpw(features), expected) < 1e-5)
    }

    @Test func oneProxyWithUniformFlowIsGAPThenFC() throws {
        let mpw = head(proxies: 1, flow: .wasserstein(WassersteinMatching()))
        var generator = RandomGenerator(seed: 5)
        let gapfc = GlobalAveragePoolingHead(channels: 5, classes: 3, generator: &generator)
        try gapfc.load(stateDict: ["fc.weight": mpw.proxies.value.reshaped([3, 5]), "fc.bias": Tensor.zeros([3])])
        let features = randomTensor([2, 5, 3, 3], seed: 6)
        let expected = gapfc(features)
        #expect(relativeError(mpw(features), expected) < 1e-5)
    }

    @Test(arguments: flows)
    func zeroFeatureVectorsGiveFiniteScoresAndGradients(_ name: String, _ flow: MatchingFlow) {
        let model = head(flow: flow)
        var features = randomTensor([2, 5, 3, 3], seed: 7, lower: 0, upper: 1)
        features.withUnsafeMutableBufferPointer { values in
            for c in 0..<5 { values[c * 9 + 4] = 0 }          // one dead position in sample 0
            for i in 45..<90 { values[i] = 0 }                  // an all-zero sample 1
        }
        let x = features.requiringGradient()
        let scores = model(x)
        #expect(scores.scalars.allSatisfy { $0.isFinite }, "\(name)")
        let grads = gradients(of: scores.sum(), withRespectTo: [x, model.proxies.value])
        #expect(grads[0].scalars.allSatisfy { $0.isFinite }, "\(name)")
        #expect(grads[1].scalars.allSatisfy { $0.isFinite }, "\(name)")
    }

    @Test func flowIsATransportPlanAndIterationsAreReported() {
        let model = head(classes: 4, flow: .wasserstein(WassersteinMatching()))
        let features = randomTensor([3, 5, 4, 4], seed: 8, lower: -1, upper: 1)
        let plan = model.matchingFlow(for: features)
        #expect(plan.shape == [3, 4, 16, 4])
        let values = plan.scalars
        for problem in 0..<12 {
            let block = values[(problem * 64)..<((problem + 1) * 64)]
            #expect(abs(block.reduce(0, +) - 1) < 1e-5)
            for m in 0..<4 {
                let column = stride(from: m, to: 64, by: 4).reduce(Float(0)) { $0 + block[block.startIndex + $1] }
                #expect(abs(column - 0.25) < 1e-5)
            }
        }
        let statistics = MatchingStatistics.recording { model(features) }.statistics
        #expect(statistics.count == 1)
        #expect(statistics.allSatisfy { $0.meanIterations >= 2 && $0.maximumIterations <= 100 })
    }

    @Test func headsReportTheirComplexityForAFeatureMap() {
        let mpw = HeadConfiguration(kind: .mpw).complexity(channels: 64, height: 8, width: 8, classes: 10)
        let gapfc = HeadConfiguration(kind: .gapfc).complexity(channels: 64, height: 8, width: 8, classes: 10)
        #expect(gapfc == HeadComplexity(parameters: 64 * 10 + 10, multiplyAccumulates: 64 * 10))
        #expect(mpw.parameters == 10 * 4 * 64)
        // The similarity product, then 2·HW·M per Sinkhorn iteration for each of the K problems.
        let product = 64 * 10 * 4 * 64
        #expect(mpw.multiplyAccumulates >= product + 2 * 2 * 64 * 4 * 10)
        #expect(mpw.multiplyAccumulates <= product + 100 * 2 * 64 * 4 * 10)
    }

    @Test func parameterCountsMatchThePaper() {
        var generator = RandomGenerator(seed: 9)
        let mpw = HeadConfiguration(kind: .mpw).makeHead(channels: 2048, height: 7, width: 7, classes: 1000, generator: &generator)
        let gapfc = HeadConfiguration(kind: .gapfc).makeHead(channels: 2048, height: 7, width: 7, classes: 1000, generator: &generator)
        // ResNet-50 on ImageNet gains 2048 x 1000 x 4 proxies minus the FC: 6.1M.
        #expect(mpw.parameterCount - gapfc.parameterCount == 2048 * 1000 * 4 - (2048 * 1000 + 1000))
    }
}
