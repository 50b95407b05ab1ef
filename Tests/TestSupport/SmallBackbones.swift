import Models
import MultiProxy
import NN
import Tensors

/// The smallest member of every backbone family, by name: what the inference-form and graph
/// tests run every family and head on.
public enum SmallBackbones {
    /// The zoo's families, CIFAR and torchvision.
    public static let zooFamilies = ["cifar-resnet", "wrn", "densenet", "pyramidnet", "torchvision-resnet-basic", "torchvision-resnet-bottleneck"]

    /// A backbone of `family`: one of `zooFamilies`, or "branching" (`BranchingBackbone`, in no zoo).
    public static func backbone(_ family: String, generator: inout RandomGenerator) -> any Backbone {
        switch family {
        case "cifar-resnet": CIFARResNet(depth: 8, generator: &generator)
        case "wrn": WideResNet(depth: 10, widenFactor: 2, generator: &generator)
        case "densenet": DenseNet(depth: 10, growthRate: 4, bottleneck: true, compression: 0.5, generator: &generator)
        case "pyramidnet": PyramidNet(depth: 11, alpha: 12, generator: &generator)
        case "torchvision-resnet-basic": ImageNetResNet(depth: 18, generator: &generator)
        case "torchvision-resnet-bottleneck": ImageNetResNet(depth: 50, generator: &generator)
        case "branching": BranchingBackbone(generator: &generator)
        default: preconditionFailure("SmallBackbones: unknown family \(family)")
        }
    }

    /// `backbone` with `head` for 5 classes on `side` x `side` images, its batch norms perturbed.
    public static func classifier(_ backbone: any Backbone, head: HeadConfiguration, side: Int, generator: inout RandomGenerator) -> ImageClassifier {
        let map = backbone.featureSize(forInput: side)
        let made = head.makeHead(channels: backbone.featureChannels, height: map, width: map, classes: 5, generator: &generator)
        let model = ImageClassifier(backbone: backbone, head: made, headPrefix: "head")
        perturbNormalization(model, generator: &generator)
        return model
    }

    /// Random BatchNorm weights, biases and running statistics in every layer, so that no batch
    /// norm is an identity (and folding it does something).
    public static func perturbNormalization(_ model: Module, generator: inout RandomGenerator) {
        for case let norm as BatchNorm2d in model.modules {
            let channels = norm.weight.shape[0]
            norm.weight.value = Tensor.randomUniform([channels], lower: 0.5, upper: 1.5, generator: &generator)
            norm.bias.value = Tensor.randomNormal([channels], standardDeviation: 0.2, generator: &generator)
            norm.runningMean.value = Tensor.randomNormal([channels], standardDeviation: 0.2, generator: &generator)
            norm.runningVariance.value = Tensor.randomUniform([channels], lower: 0.5, upper: 2, generator: &generator)
        }
    }
}
