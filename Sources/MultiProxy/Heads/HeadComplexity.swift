import NN
import Tensors

/// What a head costs: the paper's Params and FLOPs columns.
public struct HeadComplexity: Sendable, Equatable {
    public var parameters: Int
    /// Forward multiply-accumulates for one feature map (the paper's "FLOPs").
    public var multiplyAccumulates: Int

    public init(parameters: Int, multiplyAccumulates: Int) {
        self.parameters = parameters
        self.multiplyAccumulates = multiplyAccumulates
    }
}

extension HeadConfiguration {
    /// The parameters and forward multiply-accumulates of this head on `features` (B, d, H, W)
    /// for K classes, counted from the head's own forward pass, so the MPW head's Sinkhorn share
    /// uses the iterations these features really take.
    public func complexity(on features: Tensor, classes: Int) -> HeadComplexity {
        var generator = RandomGenerator(seed: 3)
        let head = makeHead(channels: features.shape[1], height: features.shape[2], width: features.shape[3],
                            classes: classes, generator: &generator)
        head.eval()
        let macs = MultiplyAccumulateCounter.count { _ = withoutGradients { head(features) } }
        return HeadComplexity(parameters: head.parameterCount, multiplyAccumulates: macs)
    }

    /// The same on one random non-negative d x H x W feature map, as after a ReLU.
    public func complexity(channels: Int, height: Int, width: Int, classes: Int) -> HeadComplexity {
        var generator = RandomGenerator(seed: 0)
        return complexity(on: Tensor.randomUniform([1, channels, height, width], generator: &generator), classes: classes)
    }
}
