import Models
import MultiProxy
import NN
import Testing
import Tensors

/// Multiply-accumulates of one image at each model's native size (GAP-FC head, 10 classes on
/// CIFAR, 1000 on ImageNet), from the layer counter: exactly the hand tally, and within 2% of the
/// paper's baseline FLOPs (Tables 1-3) except for the documented ResNet-50/101 gap.
@Suite(.serialized) struct PaperComplexityTests {
    static func multiplyAccumulates(_ model: some Module & Layer, side: Int) -> Int {
        model.eval()
        var generator = RandomGenerator(seed: 2)
        let image = Tensor.randomNormal([1, 3, side, side], generator: &generator)
        return MultiplyAccumulateCounter.count { _ = withoutGradients { model(image) } }
    }

    static func tally(_ name: String) -> ArchitectureTally {
        switch name {
        case "resnet20": .cifarResNet(depth: 20, classes: 10)
        case "resnet110": .cifarResNet(depth: 110, classes: 10)
        case "wrn40_2": .wideResNet(depth: 40, widenFactor: 2, classes: 10)
        case "wrn28_10": .wideResNet(depth: 28, widenFactor: 10, classes: 10)
        case "densenet100": .denseNet(depth: 100, growthRate: 12, bottleneck: false, compression: 0.5, classes: 10)
        case "pyramidnet200": .pyramidNet(depth: 200, alpha: 240, classes: 10)
        case "resnet18": .imageNetResNet(blocks: [2, 2, 2, 2], bottleneck: false)
        case "resnet50": .imageNetResNet(blocks: [3, 4, 6, 3], bottleneck: true)
        default: .imageNetResNet(blocks: [3, 4, 23, 3], bottleneck: true)
        }
    }

    /// torchvision puts the bottleneck stride in the 3x3 convolution; the paper quotes the FLOPs of
    /// the original models, which put it in the first 1x1 (see `ImageNetResNet.StridePlacement`).
    static let documentedGaps: Set<String> = ["resnet50", "resnet101"]

    @Test(arguments: [("resnet20", 41.3e6), ("resnet110", 255e6), ("wrn40_2", 323e6), ("wrn28_10", 5.25e9),
                      ("densenet100", 1.35e9), ("pyramidnet200", 4.56e9),
                      ("resnet18", 1.82e9), ("resnet50", 3.88e9), ("resnet101", 7.60e9)])
    func baseline(name: String, paperFLOPs: Double) throws {
        let entry = try ModelZoo.entry(name)
        var generator = RandomGenerator(seed: 1)
        let model = try ModelZoo.classifier(name, head: HeadConfiguration(kind: .gapfc), classes: entry.inputSize == 32 ? 10 : 1000,
                                            generator: &generator)
        let counted = Self.multiplyAccumulates(model, side: entry.inputSize)
        #expect(counted == Self.tally(name).multiplyAccumulates)
        let difference = Double(counted) / paperFLOPs - 1
        if Self.documentedGaps.contains(name) {
            #expect(difference > 0.02 && difference < 0.06, "\(name): \(difference)")
        } else {
            #expect(abs(difference) <= 0.02, "\(name): \(difference)")
        }
    }

    /// With the stride in the first 1x1 convolution (He et al.'s original models) ResNet-50 and
    /// -101 cost what the paper says, and keep torchvision's parameters exactly.
    @Test(arguments: [(50, [3, 4, 6, 3], 3.88e9), (101, [3, 4, 23, 3], 7.60e9)])
    func originalStridePlacement(depth: Int, blocks: [Int], paperFLOPs: Double) {
        var generator = RandomGenerator(seed: 1)
        let backbone = ImageNetResNet(depth: depth, stridePlacement: .firstOneByOne, generator: &generator)
        let model = ImageClassifier(backbone: backbone, head: GlobalAveragePoolingHead(channels: 2048, classes: 1000, generator: &generator),
                                    headPrefix: "")
        let counted = Self.multiplyAccumulates(model, side: 224)
        let tally = ArchitectureTally.imageNetResNet(blocks: blocks, bottleneck: true, strideInFirstOneByOne: true)
        #expect(counted == tally.multiplyAccumulates)
        #expect(abs(Double(counted) / paperFLOPs - 1) <= 0.02)
        #expect(model.parameterCount == tally.parameters)
    }

    /// The paper's text says its CIFAR "ResNet-18" has 4x4 maps, but its table's 41.3M FLOPs are
    /// ResNet-20 with 8x8 maps: the same network on maps half as wide (a stride-2 stem, or 16x16
    /// inputs) has the same 0.27M parameters and a quarter of the multiply-accumulates.
    @Test func paperResNet18RowHasEightByEightMaps() throws {
        var generator = RandomGenerator(seed: 1)
        let model = try ModelZoo.classifier("resnet20", head: HeadConfiguration(kind: .gapfc), classes: 10, inputSize: 16, generator: &generator)
        #expect(model.backbone.featureSize(forInput: 16) == 4)
        let quarterMaps = Self.multiplyAccumulates(model, side: 16)
        #expect(abs(Double(Self.multiplyAccumulates(model, side: 32)) / 41.3e6 - 1) <= 0.02)
        #expect(Double(quarterMaps) / 41.3e6 < 0.26)
    }
}
