import NN
import Tensors

/// An evaluation-mode BatchNorm's four tensors and ε, copied out of the weights when the
/// inference form is made, so later optimizer steps neither change it nor copy on write.
struct NormParameters {
    let weight, bias, runningMean, runningVariance: Tensor
    let epsilon: Float

    init(weight: Tensor, bias: Tensor, runningMean: Tensor, runningVariance: Tensor, epsilon: Float) {
        func copy(_ tensor: Tensor) -> Tensor { Tensor(tensor.scalars, shape: tensor.shape) }
        self.weight = copy(weight)
        self.bias = copy(bias)
        self.runningMean = copy(runningMean)
        self.runningVariance = copy(runningVariance)
        self.epsilon = epsilon
    }

    /// y = scale·x + shift per channel, in double precision.
    var affine: (scale: [Double], shift: [Double]) {
        let gamma = weight.scalars, beta = bias.scalars, mean = runningMean.scalars, variance = runningVariance.scalars
        let scale = gamma.indices.map { Double(gamma[$0]) / (Double(variance[$0]) + Double(epsilon)).squareRoot() }
        return (scale, scale.indices.map { Double(beta[$0]) - Double(mean[$0]) * scale[$0] })
    }
}

/// A BatchNorm that no convolution can absorb (a pre-activation BN-ReLU whose output two
/// convolutions read, a final BN): the same arithmetic as the layer in evaluation mode.
struct FrozenBatchNorm {
    let parameters: NormParameters
    let relu: Bool

    func callAsFunction(_ input: Tensor) -> Tensor {
        BatchNormalization.evaluation(input, weight: parameters.weight, bias: parameters.bias, runningMean: parameters.runningMean,
                                      runningVariance: parameters.runningVariance, epsilon: parameters.epsilon, fusedReLU: relu)
    }
}

/// BN(-ReLU) straight into a convolution's input without materialising the normalised tensor
/// (`DenseConvolution`): for a pre-activation whose only reader is one convolution that has no
/// BatchNorm after it to fold (DenseNet's transitions and layers).
struct PreActivatedConvolution {
    let norm: NormParameters
    let relu: Bool
    let filters: Tensor
    let stride, padding: Int

    /// `slices` are the channel blocks of the normalised input, in order (one tensor, or the
    /// inputs of a concatenation nothing else reads).
    func callAsFunction(_ slices: [Tensor]) -> Tensor {
        DenseConvolution.evaluation(slices.map { FeatureSlice($0, batchStatistics: false) }, weight: norm.weight, bias: norm.bias,
                                    runningMean: norm.runningMean, runningVariance: norm.runningVariance, epsilon: norm.epsilon,
                                    fusedReLU: relu, filters: filters, stride: stride, padding: padding)
    }
}
