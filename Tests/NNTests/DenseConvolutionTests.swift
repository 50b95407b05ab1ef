import NN
import Testing
import Tensors
import TestSupport

/// DenseNet's fused ops against the plain compositions they replace: the same values and the
/// same gradients (the compositions' gradients are checked by finite differences in
/// `LayerGradientTests`), and finite differences of the shortcut sum.
@Suite struct DenseConvolutionTests {
    /// Widths that leave partial vectors inside and across the 16 lanes.
    static let widths = [20, 12, 5]

    func slices(seed: UInt64) -> [Tensor] {
        Self.widths.enumerated().map { index, width in
            randomTensor([3, width, 5, 4], seed: seed + UInt64(index)).converted(to: .channelsLast).requiringGradient()
        }
    }

    @Test(arguments: [true, false], [(3, 1, 1, true), (3, 2, 1, false), (1, 1, 0, true), (1, 1, 0, false)])
    func equalsConvolutionOfTheNormalisedConcatenation(training: Bool, kernel: (size: Int, stride: Int, padding: Int, relu: Bool)) {
        let parts = slices(seed: 20)
        let channels = Self.widths.reduce(0, +)
        let gamma = randomTensor([channels], seed: 30, lower: 0.5, upper: 1.5).requiringGradient()
        let beta = randomTensor([channels], seed: 31).requiringGradient()
        let filters = randomTensor([7, channels, kernel.size, kernel.size], seed: 32).requiringGradient()
        let mean = randomTensor([channels], seed: 33), variance = randomTensor([channels], seed: 34, lower: 0.5, upper: 2)

        let joined = Tensor.concatenatedChannels(parts)
        let plain: Tensor
        let fused: Tensor
        if training {
            let (normalized, expected) = BatchNormalization.training(joined, weight: gamma, bias: beta, epsilon: 1e-5,
                                                                     fusedReLU: kernel.relu)
            plain = normalized.convolved2D(weight: filters, stride: kernel.stride, padding: kernel.padding)
            let (output, statistics) = DenseConvolution.training(parts.map { FeatureSlice($0, batchStatistics: true) }, weight: gamma,
                                                                 bias: beta, epsilon: 1e-5, fusedReLU: kernel.relu, filters: filters,
                                                                 stride: kernel.stride, padding: kernel.padding)
            fused = output
            #expect(relativeError(statistics.mean, expected.mean) < 1e-6 && relativeError(statistics.variance, expected.variance) < 1e-6)
            #expect(statistics.count == expected.count)
        } else {
            plain = BatchNormalization.evaluation(joined, weight: gamma, bias: beta, runningMean: mean, runningVariance: variance,
                                                  epsilon: 1e-5, fusedReLU: kernel.relu)
                .convolved2D(weight: filters, stride: kernel.stride, padding: kernel.padding)
            fused = DenseConvolution.evaluation(parts.map { FeatureSlice($0, batchStatistics: false) }, weight: gamma, bias: beta,
                                                runningMean: mean, runningVariance: variance, epsilon: 1e-5, fusedReLU: kernel.relu,
                                                filters: filters, stride: kernel.stride, padding: kernel.padding)
        }
        #expect(fused.shape == plain.shape && fused.format == .channelsLast)
        #expect(relativeError(fused.detached().contiguous(), plain.detached().contiguous()) < 1e-5)
        let seed = randomTensor(plain.shape, seed: 35).converted(to: .channelsLast)
        let wanted = parts + [gamma, beta, filters]
        let expected = gradients(of: plain, withRespectTo: wanted, seed: seed)
        let actual = gradients(of: fused, withRespectTo: wanted, seed: seed)
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            #expect(a.shape == e.shape)
            #expect(relativeError(a.contiguous(), e.contiguous()) < 1e-4, "input \(index)")
        }
    }

    @Test func zeroPaddedShortcutSum() {
        let residual = randomTensor([2, 21, 3, 2], seed: 50).converted(to: .channelsLast)
        let shortcut = randomTensor([2, 13, 3, 2], seed: 51).converted(to: .channelsLast)
        let fused = Tensor.addingZeroPaddedShortcut(residual, shortcut)
        let plain = residual + shortcut.zeroPaddedChannels(to: 21)
        #expect(fused.scalars == plain.scalars)
        for (index, error) in gradientErrors([residual, shortcut], { Tensor.addingZeroPaddedShortcut($0[0], $0[1]) }).enumerated() {
            #expect(error < 1e-2, "input \(index): relative error \(error)")
        }
    }
}
