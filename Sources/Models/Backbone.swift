import NN
import Tensors

/// A feature extractor: images (N, C, H, W) in, the final feature map (N, d, h, w) out.
public protocol Backbone: Layer {
    /// d, the channels of the feature map the head receives.
    var featureChannels: Int { get }
}
