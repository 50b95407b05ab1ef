@testable import Kernels
import Tensors
import Testing
import TestSupport

/// Our Winograd F(4x4, 3x3) in its three passes against the exact im2col + GEMM engine, on shapes
/// that stress the tiling: sizes that are not multiples of the 4x4 tile, padding 0 to 2, batch 1,
/// channel counts off the 8-lane vectors. It runs the kernel build `KernelVariant.active` picks,
/// so `scripts/test --isa avx2` checks the AVX2 transforms on an AVX-512 machine too.
@Suite struct WinogradConvolutionTests {
    /// The bound of the other Winograd tests (`ConvolutionEngineAgreementTests`): these passes
    /// measured 0.4-3.1e-6 (largest error over largest value) from 3 to 640 channels.
    static let tolerance = 1e-5

    /// (batch, input channels, output channels, height, width, padding).
    static let shapes: [(Int, Int, Int, Int, Int, Int)] = [
        (2, 5, 11, 7, 9, 1), (1, 16, 8, 8, 8, 0), (3, 9, 3, 13, 6, 2), (2, 3, 17, 5, 5, 1),
        (1, 12, 20, 1, 1, 1), (2, 40, 24, 10, 3, 1), (4, 64, 64, 6, 6, 1),
    ]

    private static func geometry(_ shape: (Int, Int, Int, Int, Int, Int)) -> ConvolutionGeometry {
        let (batch, inputs, outputs, height, width, padding) = shape
        return ConvolutionGeometry(batch: batch, inputChannels: inputs, outputChannels: outputs, inputHeight: height,
                                   inputWidth: width, kernelHeight: 3, kernelWidth: 3, paddingHeight: padding,
                                   paddingWidth: padding, hasBias: true)
    }

    @Test(arguments: shapes)
    func passesMatchTheGEMMEngine(_ shape: (Int, Int, Int, Int, Int, Int)) {
        let g = Self.geometry(shape)
        var generator = RandomGenerator(seed: UInt64(g.inputChannels * 31 + g.outputChannels))
        let source = (0..<g.inputCount).map { _ in generator.nextNormal() }
        let weights = (0..<g.weightCount).map { _ in generator.nextNormal() }
        let bias = (0..<g.outputChannels).map { _ in generator.nextNormal() }
        let gradientDestination = (0..<g.outputCount).map { _ in generator.nextNormal() }

        var forward = [Float](repeating: .nan, count: g.outputCount), expectedForward = forward
        WinogradConvolution.forward(g, source: source, weights: weights, bias: bias, destination: &forward)
        Convolution.forward(g, source: source, weights: weights, bias: bias, destination: &expectedForward, backend: .gemm)
        #expect(relativeError(forward, expectedForward) < Self.tolerance, "forward \(g): \(relativeError(forward, expectedForward))")

        var data = [Float](repeating: .nan, count: g.inputCount), expectedData = data
        WinogradConvolution.backwardData(g, gradientDestination: gradientDestination, weights: weights, gradientSource: &data)
        Convolution.backwardData(g, gradientDestination: gradientDestination, weights: weights, gradientSource: &expectedData,
                                 backend: .gemm)
        #expect(relativeError(data, expectedData) < Self.tolerance, "backward data \(g): \(relativeError(data, expectedData))")

        var weightGradient = [Float](repeating: .nan, count: g.weightCount), expectedWeights = weightGradient
        var biasGradient = [Float](repeating: .nan, count: g.outputChannels), expectedBias = biasGradient
        WinogradConvolution.backwardWeights(g, source: source, gradientDestination: gradientDestination,
                                            gradientWeights: &weightGradient, gradientBias: &biasGradient)
        Convolution.backwardWeights(g, source: source, gradientDestination: gradientDestination, gradientWeights: &expectedWeights,
                                    gradientBias: &expectedBias, backend: .gemm)
        #expect(relativeError(weightGradient, expectedWeights) < Self.tolerance,
                "backward weights \(g): \(relativeError(weightGradient, expectedWeights))")
        #expect(relativeError(biasGradient, expectedBias) < Self.tolerance, "bias \(g): \(relativeError(biasGradient, expectedBias))")
    }

    /// Many chunks of tiles (batch 24 of 20x20 with 64 + 64 channels is 600 tiles against chunks
    /// of 512), so the weight gradient accumulates across chunks and the forward pass writes
    /// every chunk where it belongs.
    @Test func chunksCoverEveryTile() {
        let g = Self.geometry((24, 64, 64, 20, 20, 1))
        #expect(WinogradTiling(batch: g.batch, height: g.outputHeight, width: g.outputWidth,
                               channels: g.inputChannels + g.outputChannels).count > 512)
        var generator = RandomGenerator(seed: 41)
        let source = (0..<g.inputCount).map { _ in generator.nextNormal() }
        let weights = (0..<g.weightCount).map { _ in generator.nextNormal() }
        let gradientDestination = (0..<g.outputCount).map { _ in generator.nextNormal() }
        var forward = [Float](repeating: .nan, count: g.outputCount), expectedForward = forward
        WinogradConvolution.forward(g, source: source, weights: weights, bias: nil, destination: &forward)
        Convolution.forward(g, source: source, weights: weights, bias: nil, destination: &expectedForward, backend: .gemm)
        #expect(relativeError(forward, expectedForward) < Self.tolerance, "forward: \(relativeError(forward, expectedForward))")
        var weightGradient = [Float](repeating: .nan, count: g.weightCount), expectedWeights = weightGradient
        WinogradConvolution.backwardWeights(g, source: source, gradientDestination: gradientDestination,
                                            gradientWeights: &weightGradient, gradientBias: nil)
        Convolution.backwardWeights(g, source: source, gradientDestination: gradientDestination, gradientWeights: &expectedWeights,
                                    gradientBias: nil, backend: .gemm)
        #expect(relativeError(weightGradient, expectedWeights) < Self.tolerance,
                "backward weights: \(relativeError(weightGradient, expectedWeights))")
    }

    /// The inference form's epilogues, applied in the output transform: bias, the residual sum,
    /// ReLU, against the exact engine's convolution with them applied after it.
    @Test func epiloguesMatchTheDirectSum() {
        let g = Self.geometry((2, 24, 13, 9, 11, 1))
        var generator = RandomGenerator(seed: 8)
        let source = (0..<g.inputCount).map { _ in generator.nextNormal() }
        let weights = (0..<g.weightCount).map { _ in generator.nextNormal() }
        let bias = (0..<g.outputChannels).map { _ in generator.nextNormal() }
        let residual = (0..<g.outputCount).map { _ in generator.nextNormal() }
        var convolved = [Float](repeating: .nan, count: g.outputCount)
        Convolution.forward(g, source: source, weights: weights, bias: bias, destination: &convolved, backend: .gemm)
        for epilogue in [FusedConvolution.Epilogue(), .init(relu: true), .init(addsDestination: true),
                         .init(addsDestination: true, relu: true)] {
            var output = epilogue.addsDestination ? residual : [Float](repeating: .nan, count: g.outputCount)
            WinogradConvolution.forward(g, source: source, weights: weights, bias: bias, destination: &output, epilogue: epilogue)
            let expected = zip(convolved, residual).map { value, added in
                let sum = epilogue.addsDestination ? value + added : value
                return epilogue.relu ? max(sum, 0) : sum
            }
            #expect(relativeError(output, expected) < Self.tolerance, "\(epilogue): \(relativeError(output, expected))")
        }
    }

    /// Ours runs exactly where oneDNN has no Winograd: never for `.direct`, for every 3x3
    /// stride-1 shape under `.winograd`, never for other kernels or strides; `.automatic` takes it
    /// from 32 channels in the inference form and from 128 in training.
    @Test func dispatchLeavesOneDNNsWinogradAlone() {
        let served = Self.geometry((64, 64, 64, 8, 8, 1))
        let strided = ConvolutionGeometry(batch: 64, inputChannels: 64, outputChannels: 64, inputHeight: 8, inputWidth: 8,
                                          kernelHeight: 3, kernelWidth: 3, strideHeight: 2, strideWidth: 2,
                                          paddingHeight: 1, paddingWidth: 1)
        #expect(!ConvolutionAlgorithm.direct.choosesOwnWinograd(for: served))
        #expect(ConvolutionAlgorithm.winograd.choosesOwnWinograd(for: served) == !CPUFeatures.winogradConvolution)
        #expect(!ConvolutionAlgorithm.winograd.choosesOwnWinograd(for: strided))
        #expect(!ConvolutionAlgorithm.automatic.choosesOwnWinograd(for: strided))
        #expect(!(ConvolutionAlgorithm.automatic.choosesOwnWinograd(for: served) && ConvolutionAlgorithm.automatic.choosesWinograd(for: served)))
        let vectorised = !CPUFeatures.winogradConvolution && KernelVariant.active != .portable
        #expect(ConvolutionAlgorithm.automatic.choosesOwnWinograd(for: served) == vectorised)
        #expect(!ConvolutionAlgorithm.automatic.choosesOwnWinograd(for: served, training: true))
        let wide = Self.geometry((64, 160, 160, 8, 8, 1))
        #expect(ConvolutionAlgorithm.automatic.choosesOwnWinograd(for: wide, training: true) == vectorised)
    }
}
