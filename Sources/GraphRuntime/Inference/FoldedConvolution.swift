import Kernels
import NN
import Tensors

/// A convolution with the BatchNorm around it folded into its weights and bias, and the ReLU
/// and residual sum after it fused into the same pass (`FusedConvolution`).
///
/// The BatchNorm that follows the convolution always folds: per output channel o, with
/// s = γ / √(σ² + ε), W'[o] = s·W[o] and b'[o] = s·(b[o] − μ) + β. A BatchNorm *before* it (no
/// ReLU between) folds only into a 1x1 convolution without padding, where every input value is
/// read unpadded: W'[o, i] = W[o, i]·s[i] and b'[o] += Σᵢ W[o, i]·(β[i] − μ[i]·s[i]).
struct FoldedConvolution {
    let kernel: FusedConvolution

    /// `weight` is (O, I, k, k); the norms are evaluation-mode BatchNorms.
    init(weight: Tensor, bias: Tensor?, stride: Int, padding: Int, inputNorm: NormParameters? = nil, outputNorm: NormParameters? = nil,
         addsResidual: Bool = false, relu: Bool = false, algorithm: ConvolutionAlgorithm) {
        let (outputs, inputs, kernelSize) = (weight.shape[0], weight.shape[1], weight.shape[2])
        let taps = kernelSize * kernelSize
        var weights = weight.scalars.map(Double.init)
        var bias = bias?.scalars.map(Double.init) ?? [Double](repeating: 0, count: outputs)
        if let inputNorm {
            precondition(kernelSize == 1 && padding == 0, "FoldedConvolution: a preceding BatchNorm folds only into an unpadded 1x1 convolution")
            let (scale, shift) = inputNorm.affine
            for o in 0..<outputs {
                for i in 0..<inputs {
                    bias[o] += weights[o * inputs + i] * shift[i]
                    weights[o * inputs + i] *= scale[i]
                }
            }
        }
        if let outputNorm {
            let (scale, shift) = outputNorm.affine
            for o in 0..<outputs {
                for index in (o * inputs * taps)..<((o + 1) * inputs * taps) { weights[index] *= scale[o] }
                bias[o] = bias[o] * scale[o] + shift[o]
            }
        }
        kernel = FusedConvolution(weights: weights.map(Float.init), bias: bias.map(Float.init), inputChannels: inputs,
                                  kernelSize: kernelSize, stride: stride, padding: padding,
                                  epilogue: .init(addsDestination: addsResidual, relu: relu), algorithm: algorithm)
    }

    /// The convolution of an (N, C, H, W) input; channels-last out.
    func callAsFunction(_ input: Tensor) -> Tensor {
        precondition(!kernel.epilogue.addsDestination, "FoldedConvolution: this convolution needs its residual")
        let source = input.converted(to: .channelsLast)
        let geometry = self.geometry(of: source)
        let output = Tensor(uninitializedShape: [geometry.batch, geometry.outputChannels, geometry.outputHeight, geometry.outputWidth],
                            format: .channelsLast)
        kernel.run(geometry, source: source.storage.pointer, destination: output.storage.pointer)
        return output
    }

    /// The convolution of `input` plus `residual` (of the output's shape), then the epilogue's
    /// ReLU; the sum is accumulated in place into a copy of the residual (or the residual itself
    /// when nothing else holds it).
    func callAsFunction(_ input: Tensor, adding residual: consuming Tensor) -> Tensor {
        precondition(kernel.epilogue.addsDestination, "FoldedConvolution: this convolution adds no residual")
        let source = input.converted(to: .channelsLast)
        let geometry = self.geometry(of: source)
        precondition(residual.shape == [geometry.batch, geometry.outputChannels, geometry.outputHeight, geometry.outputWidth],
                     "FoldedConvolution: residual \(Shape.describe(residual.shape)) does not fit \(geometry)")
        var output = consume residual
        if output.format != .channelsLast { output = output.converted(to: .channelsLast) }
        output.withUnsafeMutableBufferPointer { destination in
            kernel.run(geometry, source: source.storage.pointer, destination: destination.baseAddress!)
        }
        return output
    }

    private func geometry(of source: Tensor) -> ConvolutionGeometry {
        precondition(source.rank == 4 && source.shape[1] == kernel.inputChannels,
                     "FoldedConvolution: input \(Shape.describe(source.shape)) does not have \(kernel.inputChannels) channels")
        return kernel.geometry(batch: source.shape[0], height: source.shape[2], width: source.shape[3])
    }
}
