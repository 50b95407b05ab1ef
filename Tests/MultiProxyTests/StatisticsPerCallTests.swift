import Dispatch
@testable import MultiProxy
import OptimalTransport
import Synchronization
import Testing
import Tensors
import TestSupport

/// The Sinkhorn iteration statistics belong to the call that ran the head: one head serving two
/// threads at once hands each call its own counts, and the explicit-weights form the inference
/// runtime uses reports them as the module does.
@Suite struct StatisticsPerCallTests {
    /// All-zero features make every cosine 0, so every problem's cost is constant: alpha repeats
    /// and each solve stops at iteration 2. Random features under a tight threshold need more.
    static let parameters = SinkhornParameters(lambda: 0.1, threshold: 1e-4, maximumIterations: 100)
    static let flow = MatchingFlow.wasserstein(WassersteinMatching(sinkhorn: parameters, costExponent: 1, gradient: .unrolled))
    static let quick = Tensor.zeros([4, 8, 4, 4])
    static let slow = randomTensor([4, 8, 4, 4], seed: 3, lower: 0, upper: 1)

    static func head() -> MultiProxyHead {
        var generator = RandomGenerator(seed: 1)
        return MultiProxyHead(channels: 8, classes: 6, proxiesPerClass: 4, flow: flow, generator: &generator)
    }

    @Test func concurrentCallsEachSeeTheirOwnIterations() {
        let head = Self.head()
        let inputs = [Self.quick, Self.slow]
        let expected = inputs.map { input in withoutGradients { MatchingStatistics.recording { head(input) }.statistics } }
        #expect(expected[0] == [MatchingStatistics(meanIterations: 2, maximumIterations: 2, convergedFraction: 1)])
        #expect(expected[1].count == 1 && expected[1][0].meanIterations > 2)

        let calls = 40
        // One head shared by two threads, as a server shares its model (it is not Sendable).
        nonisolated(unsafe) let shared = head
        let seen = Mutex([[[MatchingStatistics]]](repeating: [], count: inputs.count))
        DispatchQueue.concurrentPerform(iterations: inputs.count) { index in
            for _ in 0..<calls {
                let statistics = withoutGradients { MatchingStatistics.recording { shared(inputs[index]) }.statistics }
                seen.withLock { $0[index].append(statistics) }
            }
        }
        let results = seen.withLock { $0 }
        for index in inputs.indices {
            #expect(results[index].count == calls)
            #expect(results[index].allSatisfy { $0 == expected[index] }, "input \(index)")
        }
    }

    @Test func theInferenceFormReportsToItsCaller() {
        let head = Self.head()
        let module = withoutGradients { MatchingStatistics.recording { head(Self.slow) } }
        let explicit = withoutGradients {
            MatchingStatistics.recording {
                MultiProxyHead.scores(features: Self.slow, proxies: head.proxies.value, bias: nil, flow: Self.flow)
            }
        }
        #expect(explicit.statistics == module.statistics)
        #expect(explicit.result.scalars == module.result.scalars)
    }

    @Test func otherFlowsAndNestedRecordingsReportNothingExtra() {
        var generator = RandomGenerator(seed: 1)
        let cosine = MultiProxyHead(channels: 8, classes: 6, proxiesPerClass: 4, flow: .cosine, generator: &generator)
        #expect(MatchingStatistics.recording { cosine(Self.slow) }.statistics.isEmpty)
        #expect(MatchingStatistics.meanIterations(of: []) == nil)

        let head = Self.head()
        let outer = MatchingStatistics.recording { () -> [MatchingStatistics] in
            _ = head(Self.quick)
            return MatchingStatistics.recording { head(Self.slow) }.statistics
        }
        #expect(outer.result.count == 1 && outer.result[0].meanIterations > 2)
        #expect(outer.statistics.map(\.meanIterations) == [2])
    }
}
