import NN
import Tensors

/// A classifier head: feature maps (B, d, H, W) in, logits (B, K) out. Every head of the paper
/// plugs into every backbone through this protocol.
public protocol ClassificationHead: Layer {
    var classes: Int { get }
    /// A short name (`mpw`, `gapfc`, ...) for reports.
    var name: String { get }
}
