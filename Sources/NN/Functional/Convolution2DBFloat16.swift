import Kernels
import Tensors

extension Tensor {
    /// The mixed-precision convolution of an `Autocast` bf16 scope: the input (channels-last) and
    /// the incoming gradient are rounded to bf16, the weights are rounded by the engine, products
    /// accumulate in float32, and the output, the input gradient and the weight and bias gradients
    /// are float32. The backward pass keeps only the bf16 copy of the input, half the bytes of the
    /// float32 one.
    func convolved2DBFloat16(_ geometry: ConvolutionGeometry, weight: Tensor, bias: Tensor?, backend: Convolution.Backend) -> Tensor {
        let source = converted(to: .channelsLast)
        let input = BFloat16Buffer(rounding: source.storage.pointer, count: count)
        let filters = weight.contiguous()
        let biasValues = bias?.contiguous()
        let output = Tensor(uninitializedShape: [geometry.batch, geometry.outputChannels, geometry.outputHeight, geometry.outputWidth],
                            format: .channelsLast)
        Convolution.forwardBFloat16(geometry, source: input.pointer, weights: filters.storage.pointer,
                                    bias: biasValues.map { UnsafePointer($0.storage.pointer) }, destination: output.storage.pointer,
                                    backend: backend)
        let inputShape = shape
        let inputs = [source, weight] + (bias.map { [$0] } ?? [])
        return .differentiable("conv2d.bf16", inputs: inputs, output: output) { gradient, needs in
            let g = gradient.converted(to: .channelsLast)
            let roundedGradient = BFloat16Buffer(rounding: g.storage.pointer, count: g.count)
            var gradientInput: Tensor?
            if needs[0] {
                let result = Tensor(uninitializedShape: inputShape, format: .channelsLast)
                Convolution.backwardDataBFloat16(geometry, gradientDestination: roundedGradient.pointer, weights: filters.storage.pointer,
                                                 gradientSource: result.storage.pointer, backend: backend)
                gradientInput = result
            }
            var gradientWeight: Tensor?, gradientBias: Tensor?
            if needs[1] || (needs.count > 2 && needs[2]) {
                let weights = Tensor(uninitializedShape: filters.shape)
                let biasGradient = geometry.hasBias ? Tensor(uninitializedShape: [geometry.outputChannels]) : nil
                Convolution.backwardWeightsBFloat16(geometry, source: input.pointer, gradientDestination: roundedGradient.pointer,
                                                    gradientWeights: weights.storage.pointer, gradientBias: biasGradient?.storage.pointer,
                                                    backend: backend)
                gradientWeight = weights
                gradientBias = biasGradient
            }
            return [gradientInput, needs[1] ? gradientWeight : nil] + (geometry.hasBias ? [needs[2] ? gradientBias : nil] : [])
        }
    }
}
