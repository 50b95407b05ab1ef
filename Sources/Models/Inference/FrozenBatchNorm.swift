import NN
import Tensors

/// A BatchNorm that no convolution can absorb (the pre-activation BN-ReLU of WRN, PyramidNet's
/// final BN), with its statistics taken when the inference form was made: the same arithmetic as
/// the layer in evaluation mode, whatever mode the layer is in later.
struct FrozenBatchNorm {
    let weight, bias, runningMean, runningVariance: Tensor
    let epsilon: Float
    let relu: Bool

    init(_ norm: BatchNorm2d) {
        // Copies, not shared storage: the optimizer would otherwise copy the live values on its next write.
        func copy(_ parameter: Parameter) -> Tensor { Tensor(parameter.value.scalars, shape: parameter.shape) }
        weight = copy(norm.weight)
        bias = copy(norm.bias)
        runningMean = copy(norm.runningMean)
        runningVariance = copy(norm.runningVariance)
        epsilon = norm.epsilon
        relu = norm.fusedReLU
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        BatchNormalization.evaluation(input, weight: weight, bias: bias, runningMean: runningMean, runningVariance: runningVariance,
                                      epsilon: epsilon, fusedReLU: relu)
    }
}
