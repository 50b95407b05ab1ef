import ModelGraph
import NN
import Tensors

/// WS-DAN's attention pooling (Hu et al. 2019) without its data augmentation: M attention maps
/// from a 1x1 convolution with BN and ReLU, bilinear attention pooling (each map weights the
/// feature map, averaged over locations: an M x d feature matrix), signed square root and L2
/// normalisation, and a linear layer on the features scaled by 100 as in the reference code.
public final class AttentionPoolingHead: Module, ClassificationHead {
    public let attention: Conv2d
    public let bn: BatchNorm2d
    public let fc: Linear
    public static let featureScale: Float = 100

    public init(channels: Int, classes: Int, maps: Int, generator: inout RandomGenerator) {
        attention = Conv2d(channels, maps, kernelSize: 1, generator: &generator)
        bn = BatchNorm2d(maps, epsilon: 1e-3, fusedReLU: true)
        fc = Linear(maps * channels, classes, generator: &generator)
    }

    public var classes: Int { fc.outputFeatures }
    public var name: String { "wsdan" }

    public func callAsFunction(_ features: Tensor) -> Tensor {
        let maps = bn(attention(features))
        return fc(Tensor.traced(.attentionPooling(scale: Self.featureScale), [features, maps], module: self) {
            Self.pooled(features, maps: maps, scale: Self.featureScale)
        })
    }

    /// The (B, M·d) rows the linear layer reads: the maps' weighted means of the features, signed
    /// square root, L2 norm, times `scale`.
    public static func pooled(_ features: Tensor, maps: Tensor, scale: Float) -> Tensor {
        let (batch, channels) = (features.shape[0], features.shape[1])
        let positions = features.shape[2] * features.shape[3]
        let mapCount = maps.shape[1]
        // (B, HW, M)ᵀ · (B, HW, d) = (B, M, d), both read straight from channels-last memory.
        let weights = maps.spatialVectors()
        let vectors = features.spatialVectors()
        let pooled = Tensor.matmul(weights, vectors, transposeA: true) * (1 / Float(positions))
        MultiplyAccumulateCounter.record(batch * positions * mapCount * channels)
        return pooled.reshaped([batch, mapCount * channels]).signedSquareRoot().l2NormalizedRows() * scale
    }
}
