import Kernels
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
}
