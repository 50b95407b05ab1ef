import MultiProxy
import NN
import OptimalTransport
import Testing
import Tensors
import TestSupport

/// Forward shapes and finite-difference checks of every comparison head (paper Table 4).
@Suite struct ComparisonHeadTests {
    static let kinds: [HeadConfiguration.Kind] = [.gapfc, .multiFCAverage, .multiFCFlatten, .multiFCCosine, .bilinear, .wsdan, .mpw]

    @Test(arguments: kinds)
    func forwardAndBackward(kind: HeadConfiguration.Kind) {
        var generator = RandomGenerator(seed: 1)
        // A fixed Sinkhorn iteration count keeps the MPW head differentiable for finite differences.
        let matching = WassersteinMatching(sinkhorn: .fixedIterations(8, lambda: 0.1))
        let head = HeadConfiguration(kind: kind, proxies: 3, wasserstein: matching)
            .makeHead(channels: 4, height: 3, width: 2, classes: 5, generator: &generator)
        head.eval()  // WS-DAN's BN: evaluation mode keeps the function of one sample independent of the batch
        let features = randomTensor([2, 4, 3, 2], seed: 2, lower: 0.1, upper: 1)
        #expect(head(features).shape == [2, 5])
        let parameters = head.trainableParameters
        // Float32 rounding dominates below this step: WS-DAN's x100 attention maps amplify it
        // (its second parameter read 0.10 at 1e-3, 0.028 at 2e-3, 0.005 here).
        let errors = gradientErrors([features] + parameters.map { $0.value.detached() }, epsilon: 8e-3) { inputs in
            for (parameter, value) in zip(parameters, inputs.dropFirst()) { parameter.value = value }
            return head(inputs[0])
        }
        for (index, error) in errors.enumerated() { #expect(error < 2e-2, "\(kind.rawValue) input \(index): \(error)") }
    }

    @Test func headsReportTheirMultiplyAccumulates() {
        var generator = RandomGenerator(seed: 3)
        let mpw = HeadConfiguration(kind: .mpw).makeHead(channels: 64, height: 8, width: 8, classes: 10, generator: &generator)
        let features = randomTensor([1, 64, 8, 8], seed: 4, lower: 0, upper: 1)
        let macs = MultiplyAccumulateCounter.count { _ = withoutGradients { mpw(features) } }
        #expect(macs >= 64 * 64 * 40 && macs < 64 * 64 * 40 + 64 * 4 * 10 * 2 * 100)
    }
}
