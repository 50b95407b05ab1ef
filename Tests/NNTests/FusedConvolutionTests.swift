import Kernels
import Testing
import Tensors
import TestSupport

/// The inference convolution's epilogues on both engines, against PyTorch's conv2d outputs (the
/// layer oracle file) with the residual sum and ReLU applied after them here.
@Suite struct FusedConvolutionTests {
    static let convolutions: [(name: String, stride: Int, padding: Int, bias: Bool)] = [
        ("conv3x3_s1", 1, 1, false), ("conv3x3_s2", 2, 1, true), ("conv1x1_s2", 2, 0, false), ("conv7x7_s2", 2, 3, false),
    ]
    static let epilogues = [FusedConvolution.Epilogue(), .init(relu: true), .init(addsDestination: true), .init(addsDestination: true, relu: true)]

    @Test(arguments: convolutions, [Convolution.Backend.oneDNN, .gemm])
    func epiloguesMatchTheOracle(_ c: (name: String, stride: Int, padding: Int, bias: Bool), backend: Convolution.Backend) throws {
        let file = try Oracles.file("ops.safetensors")
        let x = try file.tensor("\(c.name).x"), w = try file.tensor("\(c.name).w")
        let y = try file.tensor("\(c.name).y")
        let bias = c.bias ? try file.tensor("\(c.name).b").scalars : [Float](repeating: 0, count: w.shape[0])
        var generator = RandomGenerator(seed: 3)
        let residual = Tensor.randomNormal(y.shape, generator: &generator)
        for epilogue in Self.epilogues {
            let convolution = FusedConvolution(weights: w.scalars, bias: bias, inputChannels: w.shape[1], kernelSize: w.shape[2],
                                               stride: c.stride, padding: c.padding, epilogue: epilogue, backend: backend)
            let geometry = convolution.geometry(batch: x.shape[0], height: x.shape[2], width: x.shape[3])
            let source = x.converted(to: .channelsLast)
            var output = epilogue.addsDestination ? residual.converted(to: .channelsLast) : Tensor(uninitializedShape: y.shape, format: .channelsLast)
            output.withUnsafeMutableBufferPointer { convolution.run(geometry, source: source.storage.pointer, destination: $0.baseAddress!) }
            let expected = zip(y.scalars, residual.scalars).map { value, added in
                let sum = epilogue.addsDestination ? value + added : value
                return epilogue.relu ? max(sum, 0) : sum
            }
            #expect(relativeError(output.contiguous().scalars, expected) < 1e-4, "\(c.name) \(epilogue) \(backend)")
        }
    }

    /// Winograd against the direct sum with every epilogue, on a shape it serves (3x3, stride 1,
    /// 32 channels). Winograd rounds differently: 1e-6 relative rms and 4e-6 of the largest output
    /// at most, measured against direct sums for 16 to 640 channels. Where oneDNN has no
    /// Winograd (no AVX-512, or DNNL_MAX_CPU_ISA=AVX2) ours must run instead.
    @Test func winogradMatchesTheDirectSum() {
        var generator = RandomGenerator(seed: 5)
        let (channels, side, batch) = (32, 8, 2)
        let weights = Tensor.randomNormal([channels, channels, 3, 3], standardDeviation: 0.08, generator: &generator).scalars
        let bias = Tensor.randomNormal([channels], standardDeviation: 0.1, generator: &generator).scalars
        let input = Tensor.randomUniform([batch, channels, side, side], lower: 0, upper: 1, generator: &generator).converted(to: .channelsLast)
        let residual = Tensor.randomNormal([batch, channels, side, side], generator: &generator).converted(to: .channelsLast)
        for epilogue in Self.epilogues {
            func run(_ algorithm: ConvolutionAlgorithm) -> (values: [Float], implementation: String) {
                let convolution = FusedConvolution(weights: weights, bias: bias, inputChannels: channels, kernelSize: 3, stride: 1, padding: 1,
                                                   epilogue: epilogue, backend: .oneDNN, algorithm: algorithm)
                let geometry = convolution.geometry(batch: batch, height: side, width: side)
                var output = epilogue.addsDestination ? residual.contiguous().converted(to: .channelsLast)
                    : Tensor(uninitializedShape: residual.shape, format: .channelsLast)
                output.withUnsafeMutableBufferPointer { convolution.run(geometry, source: input.storage.pointer, destination: $0.baseAddress!) }
                return (output.contiguous().scalars, convolution.implementation(for: geometry))
            }
            let direct = run(.direct), winograd = run(.winograd)
            #expect(!direct.implementation.contains("wino"), "\(direct.implementation)")
            let expected = CPUFeatures.winogradConvolution ? "jit_wino" : WinogradConvolution.implementation
            #expect(winograd.implementation.contains(expected), "\(epilogue): \(winograd.implementation), expected \(expected)")
            #expect(relativeError(winograd.values, direct.values) < 1e-5, "\(epilogue): \(relativeError(winograd.values, direct.values))")
        }
    }
}
