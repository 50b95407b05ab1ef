import MultiProxy
import OptimalTransport
import Testing
import Tensors
import TestSupport

/// The fused head against PyTorch (Tests/Oracles/mpw.safetensors, Float64 references computed
/// here in Float32): scores, plans and the gradients with respect to X and P, to 1e-4 normwise
/// relative error. `iter5` is exactly 5 Algorithm-1 iterations with gradients through them;
/// `converged` is the converged plan with the exact (implicit) gradient.
@Suite struct MultiProxyOracleTests {
    static let cases: [(name: String, exponent: Float)] = [("mpw_small_p1", 1), ("mpw_small_p2", 2), ("mpw_7x7_p1", 1)]

    enum Tag: String, CaseIterable { case iter5, converged }

    func matching(_ tag: Tag, exponent: Float) -> WassersteinMatching {
        switch tag {
        case .iter5:
            return WassersteinMatching(sinkhorn: .fixedIterations(5, lambda: 0.1, domain: .kernel), costExponent: exponent, gradient: .unrolled)
        case .converged:
            return WassersteinMatching(sinkhorn: SinkhornParameters(lambda: 0.1, threshold: 1e-7, maximumIterations: 3000),
                                       costExponent: exponent, gradient: .implicit)
        }
    }

    @Test(arguments: cases, Tag.allCases)
    func headMatchesPyTorch(_ c: (name: String, exponent: Float), tag: Tag) throws {
        let file = try Oracles.file("mpw.safetensors")
        let features = try file.tensor("\(c.name).X").requiringGradient()
        let proxies = try file.tensor("\(c.name).P")
        var generator = RandomGenerator(seed: 1)
        let head = MultiProxyHead(channels: proxies.shape[2], classes: proxies.shape[0], proxiesPerClass: proxies.shape[1],
                                  flow: .wasserstein(matching(tag, exponent: c.exponent)), generator: &generator)
        try head.load(stateDict: ["proxies": proxies])
        let scores = head(features)
        #expect(relativeError(scores.detached(), try file.tensor("\(c.name).\(tag).scores")) < 1e-4)
        let plan = head.matchingFlow(for: features.detached())
        #expect(relativeError(plan, try file.tensor("\(c.name).\(tag).plan")) < 1e-4)
        let grads = gradients(of: scores, withRespectTo: [features, head.proxies.value], seed: try file.tensor("\(c.name).gscores"))
        #expect(relativeError(grads[0].contiguous(), try file.tensor("\(c.name).\(tag).gX")) < 1e-4)
        #expect(relativeError(grads[1], try file.tensor("\(c.name).\(tag).gP")) < 1e-4)
    }
}
