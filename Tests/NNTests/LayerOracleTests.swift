import Kernels
import NN
import Testing
import Tensors
import TestSupport

/// PyTorch 2.15 reference values from Tests/Oracles/ops.safetensors, forward and every gradient,
/// to 1e-4 normwise relative error.
@Suite struct LayerOracleTests {
    static let tolerance = 1e-4

    static let convolutions: [(name: String, stride: Int, padding: Int, bias: Bool)] = [
        ("conv3x3_s1", 1, 1, false), ("conv3x3_s2", 2, 1, true), ("conv1x1_s2", 2, 0, false), ("conv7x7_s2", 2, 3, false),
    ]

    @Test(arguments: convolutions, [Convolution.Backend.oneDNN, .gemm])
    func convolution(_ c: (name: String, stride: Int, padding: Int, bias: Bool), backend: Convolution.Backend) throws {
        let file = try Oracles.file("ops.safetensors")
        let x = try file.tensor("\(c.name).x"), w = try file.tensor("\(c.name).w")
        let b = c.bias ? try file.tensor("\(c.name).b") : nil
        let geometry = ConvolutionGeometry(batch: x.shape[0], inputChannels: x.shape[1], outputChannels: w.shape[0],
                                           inputHeight: x.shape[2], inputWidth: x.shape[3], kernelHeight: w.shape[2], kernelWidth: w.shape[3],
                                           strideHeight: c.stride, strideWidth: c.stride, paddingHeight: c.padding, paddingWidth: c.padding,
                                           hasBias: c.bias)
        // The raw engine, per backend.
        let source = x.converted(to: .channelsLast)
        let output = Tensor(uninitializedShape: try file.tensor("\(c.name).y").shape, format: .channelsLast)
        Convolution.forward(geometry, source: source.storage.pointer, weights: w.storage.pointer,
                            bias: b.map { UnsafePointer($0.storage.pointer) }, destination: output.storage.pointer, backend: backend)
        #expect(relativeError(output.contiguous(), try file.tensor("\(c.name).y")) < Self.tolerance)
        let gy = try file.tensor("\(c.name).gy").converted(to: .channelsLast)
        let gx = Tensor(uninitializedShape: x.shape, format: .channelsLast)
        Convolution.backwardData(geometry, gradientDestination: gy.storage.pointer, weights: w.storage.pointer,
                                 gradientSource: gx.storage.pointer, backend: backend)
        #expect(relativeError(gx.contiguous(), try file.tensor("\(c.name).gx")) < Self.tolerance)
        let gw = Tensor(uninitializedShape: w.shape)
        let gb = c.bias ? Tensor(uninitializedShape: [w.shape[0]]) : nil
        Convolution.backwardWeights(geometry, source: source.storage.pointer, gradientDestination: gy.storage.pointer,
                                    gradientWeights: gw.storage.pointer, gradientBias: gb?.storage.pointer, backend: backend)
        #expect(relativeError(gw, try file.tensor("\(c.name).gw")) < Self.tolerance)
        if let gb { #expect(relativeError(gb, try file.tensor("\(c.name).gb")) < Self.tolerance) }
    }

    @Test(arguments: convolutions)
    func convolutionThroughAutodiff(_ c: (name: String, stride: Int, padding: Int, bias: Bool)) throws {
        let file = try Oracles.file("ops.safetensors")
        let x = try file.tensor("\(c.name).x").requiringGradient()
        let w = try file.tensor("\(c.name).w").requiringGradient()
        let b = c.bias ? try file.tensor("\(c.name).b").requiringGradient() : nil
        let y = x.convolved2D(weight: w, bias: b, stride: c.stride, padding: c.padding)
        #expect(y.format == .channelsLast)
        #expect(relativeError(y.detached().contiguous(), try file.tensor("\(c.name).y")) < Self.tolerance)
        let gradients = gradients(of: y, withRespectTo: [x, w] + (b.map { [$0] } ?? []), seed: try file.tensor("\(c.name).gy"))
        #expect(relativeError(gradients[0].contiguous(), try file.tensor("\(c.name).gx")) < Self.tolerance)
        #expect(relativeError(gradients[1], try file.tensor("\(c.name).gw")) < Self.tolerance)
        if c.bias { #expect(relativeError(gradients[2], try file.tensor("\(c.name).gb")) < Self.tolerance) }
    }

    @Test(arguments: [MemoryFormat.contiguous, .channelsLast])
    func batchNormTrainingAndEvaluation(format: MemoryFormat) throws {
        let file = try Oracles.file("ops.safetensors")
        let bn = BatchNorm2d(5, epsilon: 1e-5, momentum: 0.1)
        try bn.load(stateDict: ["weight": try file.tensor("bn.gamma"), "bias": try file.tensor("bn.beta"),
                                "running_mean": try file.tensor("bn.running_mean_before"),
                                "running_var": try file.tensor("bn.running_var_before"), "num_batches_tracked": Tensor(0)])
        let x = try file.tensor("bn.x").converted(to: format).requiringGradient()
        let y = bn(x)
        #expect(y.format == format)
        #expect(relativeError(y.detached().contiguous(), try file.tensor("bn.y")) < Self.tolerance)
        let grads = gradients(of: y, withRespectTo: [x, bn.weight.value, bn.bias.value], seed: try file.tensor("bn.gy").converted(to: format))
        #expect(relativeError(grads[0].contiguous(), try file.tensor("bn.gx")) < Self.tolerance)
        #expect(relativeError(grads[1], try file.tensor("bn.ggamma")) < Self.tolerance)
        #expect(relativeError(grads[2], try file.tensor("bn.gbeta")) < Self.tolerance)
        #expect(relativeError(bn.runningMean.value, try file.tensor("bn.running_mean_after")) < Self.tolerance)
        #expect(relativeError(bn.runningVariance.value, try file.tensor("bn.running_var_after")) < Self.tolerance)
        #expect(bn.batchesTracked.value.item == 1)
        bn.eval()
        #expect(relativeError(bn(x.detached()).contiguous(), try file.tensor("bn.y_eval")) < Self.tolerance)
    }

    @Test func maxPool() throws {
        let file = try Oracles.file("ops.safetensors")
        let x = try file.tensor("maxpool.x").requiringGradient()
        let y = x.maxPooled2D(kernel: 3, stride: 2, padding: 1)
        #expect(relativeError(y.detached().contiguous(), try file.tensor("maxpool.y")) < Self.tolerance)
        let gx = gradients(of: y, withRespectTo: [x], seed: try file.tensor("maxpool.gy"))[0]
        #expect(relativeError(gx.contiguous(), try file.tensor("maxpool.gx")) < Self.tolerance)
    }

    @Test func avgPool() throws {
        let file = try Oracles.file("ops.safetensors")
        let x = try file.tensor("avgpool.x").requiringGradient()
        let y = x.averagePooled2D(kernel: 2, stride: 2)
        #expect(relativeError(y.detached().contiguous(), try file.tensor("avgpool.y")) < Self.tolerance)
        let gx = gradients(of: y, withRespectTo: [x], seed: try file.tensor("avgpool.gy"))[0]
        #expect(relativeError(gx.contiguous(), try file.tensor("avgpool.gx")) < Self.tolerance)
    }
}
