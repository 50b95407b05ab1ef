import ModelGraph
import NN
import Tensors

extension BatchNorm2d {
    /// conv(self(concatenation of slices)) with this layer's parameters, ReLU and mode, without
    /// materialising the concatenation or keeping the normalised input (see `DenseConvolution`).
    func convolving(_ slices: [FeatureSlice], with conv: Conv2d) -> Tensor {
        Tensor.traced(slices.map(\.tensor), module: conv) {
            normalizedConvolution(slices, conv)
        } record: { recorder, operands, _ in
            // The fused op is concatenation, this batch norm (and its ReLU), then the convolution.
            let input = slices[0].tensor.shape
            let shape = [input[0], slices.reduce(0) { $0 + $1.channels }, input[2], input[3]]
            var x = operands[0]
            func append(_ operation: GraphOperation, _ inputs: [Int], module: AnyObject?) {
                x = recorder.newValue(shape: shape)
                recorder.append(operation, inputs: inputs, output: x, module: module)
            }
            if operands.count > 1 { append(.concatenateChannels, operands, module: nil) }
            append(graphOperation(recorder), [x], module: self)
            if fusedReLU { append(.relu, [x], module: self) }
            let convolution = GraphOperation.Convolution(weight: recorder.name(of: conv.weight, module: conv), bias: nil,
                                                         stride: conv.stride, padding: conv.padding)
            return (.convolution(convolution), [x])
        }
    }

    private func normalizedConvolution(_ slices: [FeatureSlice], _ conv: Conv2d) -> Tensor {
        precondition(conv.bias == nil, "BatchNorm2d.convolving: needs a convolution without bias")
        guard isTraining else {
            return DenseConvolution.evaluation(slices, weight: weight.value, bias: bias.value, runningMean: runningMean.value,
                                               runningVariance: runningVariance.value, epsilon: epsilon, fusedReLU: fusedReLU,
                                               filters: conv.weight.value, stride: conv.stride, padding: conv.padding)
        }
        let (output, statistics) = DenseConvolution.training(slices, weight: weight.value, bias: bias.value, epsilon: epsilon,
                                                             fusedReLU: fusedReLU, filters: conv.weight.value, stride: conv.stride,
                                                             padding: conv.padding)
        recordBatchStatistics(statistics)
        return output
    }
}
