import MultiProxy
import NN
import Tensors

/// Every backbone by name, assembled with a head.
public enum ModelZoo {
    public struct UnknownModel: Error, CustomStringConvertible {
        public let name: String
        public init(name: String) { self.name = name }
        public var description: String { "unknown model \(name); choose one of: \(ModelZoo.names.joined(separator: ", "))" }
    }

    public static let names = ["resnet20", "resnet110"]

    /// The input resolution a backbone is built for.
    public static func inputSize(of name: String) -> Int { 32 }

    public static func backbone(_ name: String, inputChannels: Int = 3, generator: inout RandomGenerator) throws -> any Backbone {
        switch name {
        case "resnet20": return CIFARResNet(depth: 20, inputChannels: inputChannels, generator: &generator)
        case "resnet110": return CIFARResNet(depth: 110, inputChannels: inputChannels, generator: &generator)
        default: throw UnknownModel(name: name)
        }
    }

    /// A backbone with a GAP-FC head for `classes` classes.
    public static func classifier(_ name: String, classes: Int, inputChannels: Int = 3, generator: inout RandomGenerator) throws -> ImageClassifier {
        let backbone = try backbone(name, inputChannels: inputChannels, generator: &generator)
        let head = GlobalAveragePoolingHead(channels: backbone.featureChannels, classes: classes, generator: &generator)
        return ImageClassifier(backbone: backbone, head: head, headPrefix: "head")
    }
}
