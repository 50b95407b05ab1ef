import NN
import Tensors

/// A feature extractor: images (N, C, H, W) in, the final feature map (N, d, h, w) out, which
/// every head of the paper consumes.
public protocol Backbone: Layer {
    /// d, the channels of the feature map.
    var featureChannels: Int { get }
    /// The total stride from image to feature map (4 for the CIFAR nets, 32 for ImageNet ResNets).
    var downsampling: Int { get }
}

extension Backbone {
    /// h (= w) of the feature map for a square input of side `size`.
    public func featureSize(forInput size: Int) -> Int { (size + downsampling - 1) / downsampling }
}
