import Kernels
import Tensors

extension Tensor {
    /// 2-D cross-correlation of an (N, C, H, W) tensor with OIHW `weight`, as PyTorch's conv2d
    /// with groups = 1. The input is taken channels-last (converted if needed) and the output is
    /// channels-last: oneDNN's fastest kernels read and write that order. Inside an `Autocast`
    /// bf16 scope it runs in mixed precision (`convolved2DBFloat16`) where the engine has a bf16
    /// kernel for the shape, in float32 otherwise.
    public func convolved2D(weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(rank == 4 && weight.rank == 4, "conv2d: input \(Shape.describe(shape)) and weight \(Shape.describe(weight.shape)) must be rank 4")
        precondition(shape[1] == weight.shape[1],
                     "conv2d: input has \(shape[1]) channels but weight \(Shape.describe(weight.shape)) expects \(weight.shape[1])")
        precondition(bias == nil || bias!.shape == [weight.shape[0]], "conv2d: bias must be [\(weight.shape[0])]")
        precondition(stride >= 1 && padding >= 0, "conv2d: stride \(stride) and padding \(padding) are invalid")
        let geometry = ConvolutionGeometry(
            batch: shape[0], inputChannels: shape[1], outputChannels: weight.shape[0], inputHeight: shape[2], inputWidth: shape[3],
            kernelHeight: weight.shape[2], kernelWidth: weight.shape[3], strideHeight: stride, strideWidth: stride,
            paddingHeight: padding, paddingWidth: padding, hasBias: bias != nil)
        precondition(geometry.outputHeight > 0 && geometry.outputWidth > 0,
                     "conv2d: kernel \(weight.shape[2])x\(weight.shape[3]) does not fit input \(Shape.describe(shape)) with padding \(padding)")
        let autocast = Autocast.current
        if autocast.precision == .bf16, Convolution.runsBFloat16(geometry, backend: autocast.backend) {
            return convolved2DBFloat16(geometry, weight: weight, bias: bias, backend: autocast.backend)
        }
        let input = converted(to: .channelsLast)
        let filters = weight.contiguous()
        let output = Tensor(uninitializedShape: [geometry.batch, geometry.outputChannels, geometry.outputHeight, geometry.outputWidth],
                            format: .channelsLast)
        let biasValues = bias?.contiguous()
        Convolution.forward(geometry, source: input.storage.pointer, weights: filters.storage.pointer,
                            bias: biasValues.map { UnsafePointer($0.storage.pointer) }, destination: output.storage.pointer)
        let inputs = [input, weight] + (bias.map { [$0] } ?? [])
        return .differentiable("conv2d", inputs: inputs, output: output) { gradient, needs in
            let g = gradient.converted(to: .channelsLast)
            var gradientInput: Tensor?
            if needs[0] {
                let result = Tensor(uninitializedShape: input.shape, format: .channelsLast)
                Convolution.backwardData(geometry, gradientDestination: g.storage.pointer, weights: filters.storage.pointer,
                                         gradientSource: result.storage.pointer)
                gradientInput = result
            }
            var gradientWeight: Tensor?, gradientBias: Tensor?
            if needs[1] || (needs.count > 2 && needs[2]) {
                let weights = Tensor(uninitializedShape: weight.shape)
                let biasGradient = geometry.hasBias ? Tensor(uninitializedShape: [geometry.outputChannels]) : nil
                Convolution.backwardWeights(geometry, source: input.storage.pointer, gradientDestination: g.storage.pointer,
                                            gradientWeights: weights.storage.pointer, gradientBias: biasGradient?.storage.pointer)
                gradientWeight = weights
                gradientBias = biasGradient
            }
            return [gradientInput, needs[1] ? gradientWeight : nil] + (geometry.hasBias ? [needs[2] ? gradientBias : nil] : [])
        }
    }
}
