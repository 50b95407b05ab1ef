import Kernels
import MultiProxy
import NN
import Tensors

/// A backbone followed by a head. The backbone's parameters sit at the top level of the state
/// dict; the head's sit under `headPrefix` ("head" for the CIFAR models, as in the reference
/// implementation; empty for the ImageNet ResNets, whose GAP-FC head is torchvision's `fc`).
public final class ImageClassifier: Module, Layer {
    public let backbone: any Backbone
    public let head: any ClassificationHead
    public let headPrefix: String

    public init(backbone: any Backbone, head: any ClassificationHead, headPrefix: String) {
        self.backbone = backbone
        self.head = head
        self.headPrefix = headPrefix
    }

    override public var namedChildren: [(name: String, module: Module)] {
        let headChildren = headPrefix.isEmpty ? head.namedChildren : [(headPrefix, head as Module)]
        return backbone.namedChildren + headChildren
    }

    override public var namedOwnParameters: [(name: String, parameter: Parameter)] {
        backbone.namedOwnParameters + (headPrefix.isEmpty ? head.namedOwnParameters : [])
    }

    /// The precision of the forward pass (`Autocast`); nil keeps the caller's scope (float32
    /// outside any). Weights and checkpoints are float32 whatever it is.
    public var precision: Precision?

    public func callAsFunction(_ images: Tensor) -> Tensor {
        guard let precision else { return head(backbone(images)) }
        return Autocast.run(precision) { head(backbone(images)) }
    }
}
