import ModelGraph
import NN
import Tensors

/// Bilinear pooling (Lin, RoyChowdhury and Maji 2015): the outer products of the feature vectors
/// averaged over locations (a d x d matrix per sample), signed square root, L2 normalisation, then
/// a linear layer over the d² entries.
public final class BilinearPoolingHead: Module, ClassificationHead {
    public let fc: Linear

    public init(channels: Int, classes: Int, generator: inout RandomGenerator) {
        fc = Linear(channels * channels, classes, generator: &generator)
    }

    public var classes: Int { fc.outputFeatures }
    public var name: String { "bilinear" }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        fc(Tensor.traced(.bilinearPooling, [features], module: self) { Self.pooled(features) })
    }

    /// The (B, d²) rows the linear layer reads: mean outer product, signed square root, L2 norm.
    public static func pooled(_ features: Tensor) -> Tensor {
        let (batch, channels) = (features.shape[0], features.shape[1])
        let positions = features.shape[2] * features.shape[3]
        // Xᵀ·X per sample is one batched product on the (B, HW, d) feature vectors.
        let vectors = features.spatialVectors()
        let outer = Tensor.matmul(vectors, vectors, transposeA: true) * (1 / Float(positions))
        MultiplyAccumulateCounter.record(batch * positions * channels * channels)
        return outer.reshaped([batch, channels * channels]).signedSquareRoot().l2NormalizedRows()
    }
}
