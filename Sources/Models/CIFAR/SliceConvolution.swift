import NN
import Tensors

extension BatchNorm2d {
    /// conv(self(concatenation of slices)) with this layer's parameters, ReLU and mode, without
    /// materialising the concatenation or keeping the normalised input (see `DenseConvolution`).
    func convolving(_ slices: [FeatureSlice], with conv: Conv2d) -> Tensor {
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
