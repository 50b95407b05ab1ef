import NN
import Tensors

/// "Multi-FC flatten" (Table 4): one linear layer over the flattened (d·H·W) feature map, as in
/// AlexNet and VGG. The flattening is PyTorch's (channel-major, NCHW), so weights transfer.
public final class MultiFCFlattenHead: Module, ClassificationHead {
    public let fc: Linear

    public init(channels: Int, height: Int, width: Int, classes: Int, generator: inout RandomGenerator) {
        fc = Linear(channels * height * width, classes, generator: &generator)
    }

    public var classes: Int { fc.outputFeatures }
    public var name: String { "multifc-flatten" }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        precondition(features.count / max(features.shape[0], 1) == fc.inputFeatures,
                     "MultiFCFlattenHead: built for \(fc.inputFeatures) features per sample, got \(Shape.describe(features.shape))")
        return fc(features.contiguous().flattened())
    }
}
