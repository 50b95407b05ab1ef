import Models
import MultiProxy
import NN
import Testing
import Tensors

/// The CIFAR backbones keep their PyTorch reference implementations' state-dict names (so their
/// checkpoints convert key for key), and WRN's optional dropout changes nothing but training.
@Suite struct ReferenceNamingTests {
    static func shapes(_ name: String) throws -> [String: [Int]] {
        var generator = RandomGenerator(seed: 1)
        let model = try ModelZoo.classifier(name, head: HeadConfiguration(kind: .gapfc), classes: 10, generator: &generator)
        return Dictionary(uniqueKeysWithValues: model.stateDict().map { ($0.name, $0.value.shape) })
    }

    /// xternalz/WideResNet-pytorch.
    @Test func wideResNet() throws {
        let shapes = try Self.shapes("wrn40_2")
        #expect(shapes["conv1.weight"] == [16, 3, 3, 3])
        #expect(shapes["block1.layer.0.bn1.running_var"] == [16])
        #expect(shapes["block1.layer.0.convShortcut.weight"] == [32, 16, 1, 1])
        #expect(shapes["block1.layer.1.convShortcut.weight"] == nil)
        #expect(shapes["block3.layer.5.conv2.weight"] == [128, 128, 3, 3])
        #expect(shapes["bn1.weight"] == [128])
        #expect(shapes["head.fc.weight"] == [10, 128])
    }

    /// bamos/densenet.pytorch with `bottleneck=False, reduction=0.5`.
    @Test func denseNet() throws {
        let shapes = try Self.shapes("densenet100")
        #expect(shapes["conv1.weight"] == [24, 3, 3, 3])
        #expect(shapes["dense1.31.conv1.weight"] == [12, 396, 3, 3])
        #expect(shapes["trans1.conv1.weight"] == [204, 408, 1, 1])
        #expect(shapes["trans2.conv1.weight"] == [294, 588, 1, 1])
        #expect(shapes["dense3.31.bn1.weight"] == [666])
        #expect(shapes["bn1.weight"] == [678])
    }

    /// dyhan0920/PyramidNet-PyTorch: widths 20, 23, 27, ... rounded from 16 + i·240/66.
    @Test func pyramidNet() throws {
        let shapes = try Self.shapes("pyramidnet200")
        #expect(shapes["bn1.weight"] == [16])
        #expect(shapes["layer1.0.conv1.weight"] == [20, 16, 1, 1])
        #expect(shapes["layer1.0.bn4.weight"] == [80])
        #expect(shapes["layer1.1.conv1.weight"] == [23, 80, 1, 1])
        #expect(shapes["layer1.2.conv2.weight"] == [27, 27, 3, 3])
        #expect(shapes["layer3.21.conv3.weight"] == [1024, 256, 1, 1])
        #expect(shapes["bn_final.weight"] == [1024])
        #expect(shapes["bnFinal.weight"] == nil)
    }

    @Test func wideResNetDropoutOnlyActsInTraining() {
        var generator = RandomGenerator(seed: 4)
        let plain = WideResNet(depth: 10, widenFactor: 1, generator: &generator)
        let dropping = WideResNet(depth: 10, widenFactor: 1, dropout: 0.5, generator: &generator)
        #expect(dropping.stateDict().map(\.name) == plain.stateDict().map(\.name))
        let images = Tensor.randomNormal([2, 3, 32, 32], generator: &generator)
        let first = withoutGradients { dropping(images) }.scalars
        #expect(first != withoutGradients { dropping(images) }.scalars)
        dropping.load(weightsOf: plain)
        plain.eval()
        dropping.eval()
        #expect(withoutGradients { dropping(images) }.scalars == withoutGradients { plain(images) }.scalars)
    }
}

extension Module {
    /// Copies every parameter and buffer of a module with the same state-dict names and shapes.
    fileprivate func load(weightsOf other: Module) {
        try! load(stateDict: Dictionary(uniqueKeysWithValues: other.stateDict().map { ($0.name, $0.value) }))
    }
}
