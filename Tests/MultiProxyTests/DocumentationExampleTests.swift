import MultiProxy
import Testing
import Tensors

/// The worked example of the MultiProxy documentation catalog (Sources/MultiProxy/MultiProxy.docc),
/// as written there, with the plan's column marginals checked.
@Suite struct MultiProxyDocumentationExampleTests {
    @Test func theHeadOnAFeatureMap() {
        var generator = RandomGenerator(seed: 2)
        let head = MultiProxyHead(channels: 64, classes: 10, proxiesPerClass: 4, flow: .wasserstein(WassersteinMatching()),
                                  generator: &generator)
        let features = Tensor.randomUniform([2, 64, 8, 8], generator: &generator)
        let (scores, statistics) = MatchingStatistics.recording { head(features) }
        let flow = head.matchingFlow(for: features)
        #expect(scores.shape == [2, 10] && flow.shape == [2, 10, 64, 4])
        #expect(statistics.count == 1)
        #expect(statistics[0].meanIterations >= 2 && statistics[0].maximumIterations <= 100)

        let values = flow.scalars
        for pair in 0..<20 {
            for proxy in 0..<4 {
                let mass = (0..<64).reduce(Float(0)) { $0 + values[(pair * 64 + $1) * 4 + proxy] }
                #expect(abs(mass - 0.25) < 1e-4, "sample-class pair \(pair), proxy \(proxy): \(mass)")
            }
        }
    }
}
