import Models
import MultiProxy
import NN
import Testing
import Tensors

/// Every CIFAR backbone's parameter count with a GAP-FC head, exactly, against the hand tally of
/// its architecture (ArchitectureTally) and against the literal that tally gives.
@Suite struct ZooParameterCountTests {
    static func parameters(_ name: String, classes: Int) throws -> Int {
        var generator = RandomGenerator(seed: 1)
        return try ModelZoo.classifier(name, head: HeadConfiguration(kind: .gapfc), classes: classes, generator: &generator).parameterCount
    }

    @Test(arguments: [(20, 10, 272_474), (20, 100, 278_324), (110, 10, 1_730_714), (110, 100, 1_736_564)])
    func resnet(depth: Int, classes: Int, expected: Int) throws {
        #expect(ArchitectureTally.cifarResNet(depth: depth, classes: classes).parameters == expected)
        #expect(try Self.parameters("resnet\(depth)", classes: classes) == expected)
    }

    /// WRN-28-10's 36,479,194 is the figure the WRN literature reports for CIFAR-10.
    @Test(arguments: [("wrn40_2", 40, 2, 10, 2_243_546), ("wrn40_2", 40, 2, 100, 2_255_156),
                      ("wrn28_10", 28, 10, 10, 36_479_194), ("wrn28_10", 28, 10, 100, 36_536_884)])
    func wideResNet(name: String, depth: Int, widenFactor: Int, classes: Int, expected: Int) throws {
        #expect(ArchitectureTally.wideResNet(depth: depth, widenFactor: widenFactor, classes: classes).parameters == expected)
        #expect(try Self.parameters(name, classes: classes) == expected)
    }

    /// The zoo's DenseNet-100 is DenseNet-C (no bottleneck, compression 0.5): the paper's 4.07M.
    @Test(arguments: [(10, 4_068_490), (100, 4_129_600)])
    func densenet100(classes: Int, expected: Int) throws {
        let tally = ArchitectureTally.denseNet(depth: 100, growthRate: 12, bottleneck: false, compression: 0.5, classes: classes)
        #expect(tally.parameters == expected)
        #expect(try Self.parameters("densenet100", classes: classes) == expected)
    }

    /// The other DenseNet-100 (k = 12) variants, built directly: none has the paper's 4.07M.
    /// DenseNet-BC is Huang et al.'s 0.8M row.
    @Test(arguments: [(false, 1.0, 7_083_538), (true, 0.5, 769_162), (true, 1.0, 1_210_066)])
    func denseNetVariants(bottleneck: Bool, compression: Double, expected: Int) {
        var generator = RandomGenerator(seed: 1)
        let backbone = DenseNet(depth: 100, growthRate: 12, bottleneck: bottleneck, compression: compression, generator: &generator)
        let head = GlobalAveragePoolingHead(channels: backbone.featureChannels, classes: 10, generator: &generator)
        let tally = ArchitectureTally.denseNet(depth: 100, growthRate: 12, bottleneck: bottleneck, compression: compression, classes: 10)
        #expect(tally.parameters == expected)
        #expect(ImageClassifier(backbone: backbone, head: head, headPrefix: "head").parameterCount == expected)
    }

    @Test(arguments: [(10, 26_752_702), (100, 26_844_952)])
    func pyramidnet200(classes: Int, expected: Int) throws {
        #expect(ArchitectureTally.pyramidNet(depth: 200, alpha: 240, classes: classes).parameters == expected)
        #expect(try Self.parameters("pyramidnet200", classes: classes) == expected)
    }

    /// The feature maps the heads see: d channels at 8x8 for CIFAR, 7x7 for ImageNet.
    @Test(arguments: [("resnet20", 64, 8), ("resnet110", 64, 8), ("wrn40_2", 128, 8), ("wrn28_10", 640, 8),
                      ("densenet100", 678, 8), ("pyramidnet200", 1024, 8),
                      ("resnet18", 512, 7), ("resnet50", 2048, 7), ("resnet101", 2048, 7)])
    func featureMap(name: String, channels: Int, side: Int) throws {
        var generator = RandomGenerator(seed: 1)
        let entry = try ModelZoo.entry(name)
        let model = try ModelZoo.classifier(name, head: HeadConfiguration(kind: .gapfc), classes: 10, generator: &generator)
        #expect(model.backbone.featureChannels == channels)
        #expect(model.backbone.featureSize(forInput: entry.inputSize) == side)
    }
}
