import Kernels
import MultiProxy
import NN
import Tensors

/// Every backbone by name, assembled with any head.
public enum ModelZoo {
    public struct UnknownModel: Error, CustomStringConvertible {
        public let name: String
        public init(name: String) { self.name = name }
        public var description: String { "unknown model \(name)\(NameSuggestion.clause(for: name, among: ModelZoo.names)); choose one of: \(ModelZoo.names.joined(separator: ", "))" }
    }

    /// A backbone family member: how to build it and the input it is made for.
    public struct Entry: Sendable {
        public let name: String
        /// Side of the square input the architecture is designed for (32 for CIFAR, 224 for ImageNet).
        public let inputSize: Int
        /// State-dict prefix of the head: "head" for CIFAR models, "" for torchvision's ImageNet models.
        public let headPrefix: String
        let build: @Sendable (_ inputChannels: Int, _ generator: inout RandomGenerator) -> any Backbone
    }

    public static let entries: [Entry] = [
        // The paper's CIFAR "ResNet-18" row has ResNet-20's size and cost (0.27M, 41M MACs) with
        // 8x8 maps; its text's "4x4" would cut the MACs fourfold (`mpw models` shows both).
        Entry(name: "resnet20", inputSize: 32, headPrefix: "head") { CIFARResNet(depth: 20, inputChannels: $0, generator: &$1) },
        Entry(name: "resnet110", inputSize: 32, headPrefix: "head") { CIFARResNet(depth: 110, inputChannels: $0, generator: &$1) },
        Entry(name: "wrn40_2", inputSize: 32, headPrefix: "head") { WideResNet(depth: 40, widenFactor: 2, inputChannels: $0, generator: &$1) },
        Entry(name: "wrn28_10", inputSize: 32, headPrefix: "head") { WideResNet(depth: 28, widenFactor: 10, inputChannels: $0, generator: &$1) },
        // DenseNet-C: the variant whose size matches the paper's "DenseNet-100 (k = 12)" (see DenseNet).
        Entry(name: "densenet100", inputSize: 32, headPrefix: "head") {
            DenseNet(depth: 100, growthRate: 12, bottleneck: false, compression: 0.5, inputChannels: $0, generator: &$1)
        },
        Entry(name: "pyramidnet200", inputSize: 32, headPrefix: "head") { PyramidNet(depth: 200, alpha: 240, inputChannels: $0, generator: &$1) },
        Entry(name: "resnet18", inputSize: 224, headPrefix: "") { ImageNetResNet(depth: 18, inputChannels: $0, generator: &$1) },
        Entry(name: "resnet50", inputSize: 224, headPrefix: "") { ImageNetResNet(depth: 50, inputChannels: $0, generator: &$1) },
        Entry(name: "resnet101", inputSize: 224, headPrefix: "") { ImageNetResNet(depth: 101, inputChannels: $0, generator: &$1) },
    ]

    public static var names: [String] { entries.map(\.name) }

    public static func entry(_ name: String) throws -> Entry {
        guard let entry = entries.first(where: { $0.name == name }) else { throw UnknownModel(name: name) }
        return entry
    }

    /// The input resolution a backbone is built for.
    public static func inputSize(of name: String) throws -> Int { try entry(name).inputSize }

    /// A backbone with the configured head for `classes` classes.
    public static func classifier(_ name: String, head: HeadConfiguration, classes: Int, inputChannels: Int = 3,
                                  inputSize: Int? = nil, generator: inout RandomGenerator) throws -> ImageClassifier {
        let entry = try entry(name)
        let backbone = entry.build(inputChannels, &generator)
        let side = backbone.featureSize(forInput: inputSize ?? entry.inputSize)
        let classifierHead = head.makeHead(channels: backbone.featureChannels, height: side, width: side, classes: classes,
                                           generator: &generator)
        return ImageClassifier(backbone: backbone, head: classifierHead, headPrefix: entry.headPrefix)
    }
}
