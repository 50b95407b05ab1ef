import NN
import Testing
import Tensors
import TestSupport

/// Finite-difference checks of the layers' hand-written backward passes (tolerance: see
/// `gradientErrors`), in both memory formats where the op accepts either.
@Suite struct LayerGradientTests {
    func expectGradients(_ inputs: [Tensor], _ f: ([Tensor]) -> Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        for (index, error) in gradientErrors(inputs, f).enumerated() {
            #expect(error < 1e-2, "input \(index): relative error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func convolution() {
        let x = randomTensor([2, 3, 6, 5], seed: 1), w = randomTensor([4, 3, 3, 3], seed: 2), b = randomTensor([4], seed: 3)
        expectGradients([x, w, b]) { $0[0].convolved2D(weight: $0[1], bias: $0[2], stride: 2, padding: 1) }
        expectGradients([x, randomTensor([2, 3, 1, 1], seed: 4)]) { $0[0].convolved2D(weight: $0[1]) }
    }

    @Test(arguments: [MemoryFormat.contiguous, .channelsLast])
    func batchNorm(format: MemoryFormat) {
        let x = randomTensor([3, 20, 3, 2], seed: 5).converted(to: format)
        let gamma = randomTensor([20], seed: 6, lower: 0.5, upper: 1.5), beta = randomTensor([20], seed: 7)
        expectGradients([x, gamma, beta]) { inputs in
            BatchNormalization.training(inputs[0], weight: inputs[1], bias: inputs[2], epsilon: 1e-5, fusedReLU: false).0
        }
        let mean = randomTensor([20], seed: 8), variance = randomTensor([20], seed: 9, lower: 0.5, upper: 2)
        expectGradients([x, gamma, beta]) { inputs in
            BatchNormalization.evaluation(inputs[0], weight: inputs[1], bias: inputs[2], runningMean: mean, runningVariance: variance,
                                          epsilon: 1e-5, fusedReLU: false)
        }
    }

    /// Finite differences straddle the ReLU kink too often to check the fused form directly, so
    /// it must equal (values and gradients) the unfused BN followed by the checked ReLU.
    @Test(arguments: [MemoryFormat.contiguous, .channelsLast], [true, false])
    func batchNormWithFusedReLUEqualsTheComposition(format: MemoryFormat, training: Bool) {
        let x = randomTensor([3, 20, 3, 2], seed: 5).converted(to: format).requiringGradient()
        let gamma = randomTensor([20], seed: 6, lower: 0.5, upper: 1.5).requiringGradient()
        let beta = randomTensor([20], seed: 7).requiringGradient()
        let mean = randomTensor([20], seed: 8), variance = randomTensor([20], seed: 9, lower: 0.5, upper: 2)
        func normalized(_ relu: Bool) -> Tensor {
            training ? BatchNormalization.training(x, weight: gamma, bias: beta, epsilon: 1e-5, fusedReLU: relu).0
                : BatchNormalization.evaluation(x, weight: gamma, bias: beta, runningMean: mean, runningVariance: variance,
                                                epsilon: 1e-5, fusedReLU: relu)
        }
        let seed = randomTensor([3, 20, 3, 2], seed: 10).converted(to: format)
        let fused = normalized(true), composed = normalized(false).relu()
        #expect(relativeError(fused.detached().contiguous(), composed.detached().contiguous()) < 1e-6)
        let a = gradients(of: fused, withRespectTo: [x, gamma, beta], seed: seed)
        let b = gradients(of: composed, withRespectTo: [x, gamma, beta], seed: seed)
        for (u, v) in zip(a, b) { #expect(relativeError(u.contiguous(), v.contiguous()) < 1e-5) }
    }

    @Test func batchNormOnFeatureVectors() {
        let x = randomTensor([6, 5], seed: 10)
        expectGradients([x, Tensor.ones([5]), Tensor.zeros([5])]) { inputs in
            BatchNormalization.training(inputs[0], weight: inputs[1], bias: inputs[2], epsilon: 1e-5, fusedReLU: false).0
        }
    }

    @Test func pooling() {
        // Distinct values 0.05 apart, so no finite-difference step changes a window's maximum.
        var generator = RandomGenerator(seed: 11)
        let order = Array(0..<252).shuffled(using: &generator)
        let x = Tensor(order.map { Float($0) * 0.05 - 6 }, shape: [2, 3, 7, 6])
        expectGradients([x]) { $0[0].maxPooled2D(kernel: 3, stride: 2, padding: 1) }
        expectGradients([x]) { $0[0].averagePooled2D(kernel: 3, stride: 2, padding: 1) }
        expectGradients([x]) { $0[0].globalAveragePooled() }
        expectGradients([x.converted(to: .channelsLast)]) { $0[0].globalAveragePooled() }
    }

    @Test func residualAndChannelOps() {
        let a = randomAwayFromZero([2, 3, 2, 2], seed: 12).converted(to: .channelsLast)
        let b = randomAwayFromZero([2, 3, 2, 2], seed: 13).converted(to: .channelsLast) * 0.01
        expectGradients([a, b]) { Tensor.residualReLU($0[0], $0[1]) }
        let c = randomTensor([2, 5, 2, 2], seed: 14).converted(to: .channelsLast)
        expectGradients([a, c]) { Tensor.concatenatedChannels([$0[0], $0[1]]) }
        expectGradients([a.contiguous(), c.contiguous()]) { Tensor.concatenatedChannels([$0[0], $0[1]]) }
        expectGradients([a]) { $0[0].zeroPaddedChannels(to: 7) }
    }

    @Test func linear() {
        var generator = RandomGenerator(seed: 15)
        let layer = Linear(4, 3, generator: &generator)
        let x = randomTensor([5, 4], seed: 16)
        expectGradients([x, layer.weight.value, layer.bias!.value]) { Tensor.matmul($0[0], $0[1], transposeB: true) + $0[2] }
        #expect(layer(x).shape == [5, 3])
    }
}
