import ModelGraph
import Tensors

/// Batch normalisation of (N, C, H, W) or (N, C) inputs, as PyTorch's BatchNorm2d/BatchNorm1d:
/// training mode uses batch statistics and updates the running ones with `momentum` (the running
/// variance from the unbiased batch variance); evaluation mode uses the running statistics.
public final class BatchNorm2d: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Parameter
    public let runningVariance: Parameter
    public let batchesTracked: Parameter
    public let epsilon: Float
    public let momentum: Float
    /// Applies ReLU to the output in the same pass.
    public let fusedReLU: Bool

    public init(_ channels: Int, epsilon: Float = 1e-5, momentum: Float = 0.1, fusedReLU: Bool = false) {
        weight = Parameter(.ones([channels]), role: .normalization)
        bias = Parameter(.zeros([channels]), role: .normalization)
        runningMean = Parameter(.zeros([channels]), role: .buffer)
        runningVariance = Parameter(.ones([channels]), role: .buffer)
        batchesTracked = Parameter(.zeros([]), role: .buffer, isInteger: true)
        self.epsilon = epsilon
        self.momentum = momentum
        self.fusedReLU = fusedReLU
    }

    /// PyTorch's state-dict names.
    override public var namedOwnParameters: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance),
         ("num_batches_tracked", batchesTracked)]
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor.traced([input], module: self) {
            normalized(input)
        } record: { recorder, operands, result in
            let normalization = graphOperation(recorder)
            guard fusedReLU else { return (normalization, operands) }
            let normalized = recorder.newValue(shape: result.shape)
            recorder.append(normalization, inputs: operands, output: normalized, module: self)
            return (.relu, [normalized])
        }
    }

    /// This layer's batch norm (without its fused ReLU) as a graph op.
    public func graphOperation(_ recorder: GraphRecorder) -> GraphOperation {
        .batchNorm(GraphOperation.BatchNorm(weight: recorder.name(of: weight, module: self), bias: recorder.name(of: bias, module: self),
                                            runningMean: recorder.name(of: runningMean, module: self),
                                            runningVariance: recorder.name(of: runningVariance, module: self), epsilon: epsilon))
    }

    private func normalized(_ input: Tensor) -> Tensor {
        guard isTraining else {
            return BatchNormalization.evaluation(input, weight: weight.value, bias: bias.value, runningMean: runningMean.value,
                                                 runningVariance: runningVariance.value, epsilon: epsilon, fusedReLU: fusedReLU)
        }
        let (output, statistics) = BatchNormalization.training(input, weight: weight.value, bias: bias.value,
                                                               epsilon: epsilon, fusedReLU: fusedReLU)
        recordBatchStatistics(statistics)
        return output
    }

    /// Updates the running statistics with a training batch's, as a training-mode call does (for
    /// fused ops that normalise with this layer's parameters themselves).
    public func recordBatchStatistics(_ statistics: BatchNormalization.Statistics) {
        let correction = Float(statistics.count) / Float(max(statistics.count - 1, 1))
        runningMean.value.withUnsafeMutableBufferPointer { mean in
            for c in mean.indices { mean[c] = (1 - momentum) * mean[c] + momentum * statistics.mean[c] }
        }
        runningVariance.value.withUnsafeMutableBufferPointer { variance in
            for c in variance.indices { variance[c] = (1 - momentum) * variance[c] + momentum * statistics.variance[c] * correction }
        }
        batchesTracked.value.withUnsafeMutableBufferPointer { $0[0] += 1 }
    }
}
