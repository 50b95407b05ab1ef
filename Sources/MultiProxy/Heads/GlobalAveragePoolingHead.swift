import NN
import Tensors

/// The conventional head (paper Eq. 4): global average pooling, then one linear layer.
public final class GlobalAveragePoolingHead: Module, ClassificationHead {
    public let fc: Linear

    public init(channels: Int, classes: Int, generator: inout RandomGenerator) {
        fc = Linear(channels, classes, generator: &generator)
    }

    public var classes: Int { fc.outputFeatures }
    public var name: String { "gapfc" }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        fc(features.globalAveragePooled())
    }
}
