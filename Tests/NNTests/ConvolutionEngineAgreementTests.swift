@testable import Kernels
import Testing
import Tensors
import TestSupport

/// oneDNN against the portable im2col + GEMM engine on every convolution shape of ResNet-20, at the
/// per-rank batch sizes the data-parallel tests use (16 on one process; 8 on 2 ranks; 6 and 5 on 3)
/// and at batch 1. Random data: any kernel of any instruction set oneDNN picks (run this under
/// `DNNL_MAX_CPU_ISA=AVX2` too: `scripts/test --isa avx2`) must agree with the exact engine.
@Suite struct ConvolutionEngineAgreementTests {
    /// Both engines sum up to 16·32·32 float products in different orders (float32 rounding of
    /// such sums: about 1e-6 relative); both pass at 1e-5 on the Intel Xeon, AVX-512 and oneDNN
    /// capped to AVX2 alike. A wrong kernel is off by percents (oneDNN 2.6's AVX2 1x1 strided
    /// backward-weights kernel was off by 50-80 %: see `Convolution.backwardWeights`).
    static let tolerance = 1e-5

    /// (input channels, output channels, size, kernel, stride, padding) of ResNet-20 on 32x32 images.
    static let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (3, 16, 32, 3, 1, 1), (16, 16, 32, 3, 1, 1), (16, 32, 32, 3, 2, 1), (16, 32, 32, 1, 2, 0),
        (32, 32, 16, 3, 1, 1), (32, 64, 16, 3, 2, 1), (32, 64, 16, 1, 2, 0), (64, 64, 8, 3, 1, 1),
    ]

    @Test(arguments: [1, 5, 6, 8, 16])
    func oneDNNMatchesTheGEMMEngine(batch: Int) {
        var generator = RandomGenerator(seed: UInt64(batch))
        for (input, output, size, kernel, stride, padding) in Self.shapes {
            let geometry = ConvolutionGeometry(batch: batch, inputChannels: input, outputChannels: output, inputHeight: size,
                                               inputWidth: size, kernelHeight: kernel, kernelWidth: kernel, strideHeight: stride,
                                               strideWidth: stride, paddingHeight: padding, paddingWidth: padding)
            let source = (0..<geometry.inputCount).map { _ in generator.nextNormal() }
            let weights = (0..<geometry.weightCount).map { _ in generator.nextNormal() }
            let gradientDestination = (0..<geometry.outputCount).map { _ in generator.nextNormal() }
            var results: [Convolution.Backend: (forward: [Float], data: [Float], weights: [Float])] = [:]
            for backend in [Convolution.Backend.oneDNN, .gemm] {
                var forward = [Float](repeating: .nan, count: geometry.outputCount)
                var data = [Float](repeating: .nan, count: geometry.inputCount)
                var weightGradient = [Float](repeating: .nan, count: geometry.weightCount)
                Convolution.forward(geometry, source: source, weights: weights, bias: nil, destination: &forward, backend: backend)
                Convolution.backwardData(geometry, gradientDestination: gradientDestination, weights: weights,
                                         gradientSource: &data, backend: backend)
                Convolution.backwardWeights(geometry, source: source, gradientDestination: gradientDestination,
                                            gradientWeights: &weightGradient, gradientBias: nil, backend: backend)
                results[backend] = (forward, data, weightGradient)
            }
            let (a, b) = (results[.oneDNN]!, results[.gemm]!)
            #expect(relativeError(a.forward, b.forward) < Self.tolerance, "forward \(geometry)")
            #expect(relativeError(a.data, b.data) < Self.tolerance, "backward data \(geometry)")
            #expect(relativeError(a.weights, b.weights) < Self.tolerance, "backward weights \(geometry)")
        }
    }

    /// Winograd in the three training passes, against the exact engine, on ResNet-20's 3x3
    /// stride-1 shapes and a wider one. Winograd rounds differently; the bound is the direct
    /// kernels' own, and the passes measured 0.2-2.3e-6 against it at batch 8, 16 to 128 channels
    /// (Intel Xeon, family 6 model 207). Where oneDNN has no Winograd (no
    /// AVX-512, or capped to AVX2) the passes must fall back to the direct kernels.
    @Test func winogradMatchesTheGEMMEngine() {
        let previous = Convolution.algorithm
        Convolution.algorithm = .winograd
        defer { Convolution.algorithm = previous }
        var generator = RandomGenerator(seed: 17)
        for (channels, size) in [(16, 32), (32, 16), (64, 8), (128, 8)] {
            let geometry = ConvolutionGeometry(batch: 8, inputChannels: channels, outputChannels: channels, inputHeight: size,
                                               inputWidth: size, kernelHeight: 3, kernelWidth: 3, strideHeight: 1,
                                               strideWidth: 1, paddingHeight: 1, paddingWidth: 1, hasBias: true)
            let source = (0..<geometry.inputCount).map { _ in generator.nextNormal() }
            let weights = (0..<geometry.weightCount).map { _ in generator.nextNormal() }
            let bias = (0..<channels).map { _ in generator.nextNormal() }
            let gradientDestination = (0..<geometry.outputCount).map { _ in generator.nextNormal() }
            let implementation = OneDNNConvolution.primitives(for: geometry).implementations
            #expect([implementation.forward, implementation.backwardData, implementation.backwardWeights].allSatisfy { $0.contains("wino") }
                        == CPUFeatures.winogradConvolution, "\(geometry): \(implementation)")
            var results: [Convolution.Backend: (forward: [Float], data: [Float], weights: [Float], bias: [Float])] = [:]
            for backend in [Convolution.Backend.oneDNN, .gemm] {
                var forward = [Float](repeating: .nan, count: geometry.outputCount)
                var data = [Float](repeating: .nan, count: geometry.inputCount)
                var weightGradient = [Float](repeating: .nan, count: geometry.weightCount)
                var biasGradient = [Float](repeating: .nan, count: channels)
                Convolution.forward(geometry, source: source, weights: weights, bias: bias, destination: &forward, backend: backend)
                Convolution.backwardData(geometry, gradientDestination: gradientDestination, weights: weights,
                                         gradientSource: &data, backend: backend)
                Convolution.backwardWeights(geometry, source: source, gradientDestination: gradientDestination,
                                            gradientWeights: &weightGradient, gradientBias: &biasGradient, backend: backend)
                results[backend] = (forward, data, weightGradient, biasGradient)
            }
            let (a, b) = (results[.oneDNN]!, results[.gemm]!)
            #expect(relativeError(a.forward, b.forward) < Self.tolerance, "forward \(geometry): \(relativeError(a.forward, b.forward))")
            #expect(relativeError(a.data, b.data) < Self.tolerance, "backward data \(geometry): \(relativeError(a.data, b.data))")
            #expect(relativeError(a.weights, b.weights) < Self.tolerance, "backward weights \(geometry): \(relativeError(a.weights, b.weights))")
            #expect(relativeError(a.bias, b.bias) < Self.tolerance, "bias \(geometry): \(relativeError(a.bias, b.bias))")
        }
    }
}
