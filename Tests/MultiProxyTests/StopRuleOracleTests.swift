import OptimalTransport
import Testing
import Tensors
import TestSupport
@testable import MultiProxy

/// The head under the reference code's batch stopping rule against Tests/Oracles/stoprule.safetensors
/// (float64, computed here in float32): the batch's iteration count exactly, scores, plans and
/// the gradients through the iterations run, to 1e-4 normwise relative error.
@Suite struct StopRuleOracleTests {
    static let cases = ["b8_k10_4x4", "b4_k5_8x8"]

    static var matching: WassersteinMatching {
        var sinkhorn = SinkhornParameters.paperDefaults
        sinkhorn.stopRule = .batchAbsolute
        return WassersteinMatching(sinkhorn: sinkhorn, costExponent: 1, gradient: .unrolled)
    }

    @Test(arguments: cases)
    func headMatchesTheReferenceRule(_ name: String) throws {
        let file = try Oracles.file("stoprule.safetensors")
        let features = try file.tensor("\(name).X").requiringGradient()
        let proxies = try file.tensor("\(name).P")
        var generator = RandomGenerator(seed: 1)
        let head = MultiProxyHead(channels: proxies.shape[2], classes: proxies.shape[0], proxiesPerClass: proxies.shape[1],
                                  flow: .wasserstein(Self.matching), generator: &generator)
        try head.load(stateDict: ["proxies": proxies])
        let (scores, statistics) = MatchingStatistics.recording { head(features) }
        let iterations = try file.doubles("\(name).iterations")[0]
        #expect(statistics.map(\.maximumIterations) == [Int(iterations)])
        #expect(statistics.map(\.meanIterations) == [iterations])
        #expect(relativeError(scores.detached(), try file.tensor("\(name).scores")) < 1e-4)
        #expect(relativeError(head.matchingFlow(for: features.detached()), try file.tensor("\(name).plan")) < 1e-4)
        let grads = gradients(of: scores, withRespectTo: [features, head.proxies.value], seed: try file.tensor("\(name).gs"))
        #expect(relativeError(grads[0].contiguous(), try file.tensor("\(name).dX")) < 1e-4)
        #expect(relativeError(grads[1], try file.tensor("\(name).dP")) < 1e-4)
    }

    /// The first round's target (the previous batch's count) changes the work, never the result:
    /// too low continues from the record, too high rebuilds the plans at the batch's count.
    @Test func resultDoesNotDependOnTheFirstRound() throws {
        let file = try Oracles.file("stoprule.safetensors")
        let features = try file.tensor("b8_k10_4x4.X")
        let proxies = try file.tensor("b8_k10_4x4.P")
        let outputs = [1, 5, 16, 40].map {
            ProxyMatching.apply(features: features, proxies: proxies, flow: .wasserstein(Self.matching), firstRound: $0)
        }
        for output in outputs.dropFirst() {
            #expect(output.scores.scalars == outputs[0].scores.scalars)
            #expect(output.flow?.scalars == outputs[0].flow?.scalars)
            #expect(output.statistics == outputs[0].statistics)
        }
    }
}
