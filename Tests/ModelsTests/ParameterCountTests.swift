import Models
import MultiProxy
import NN
import Testing
import Tensors

/// Parameter counts against the architecture formula, derived by hand.
@Suite struct ParameterCountTests {
    /// 6n + 2 CIFAR ResNet with a K-class GAP-FC head: stem conv + BN, 3n blocks of two 3x3 convs
    /// with BN, two projection shortcuts (1x1 conv + BN), and the linear head.
    static func cifarResNetParameters(depth: Int, classes: Int) -> Int {
        let n = (depth - 2) / 6
        var total = 3 * 16 * 9 + 2 * 16
        var inChannels = 16
        for width in [16, 32, 64] {
            for block in 0..<n {
                total += inChannels * width * 9 + 2 * width + width * width * 9 + 2 * width
                if block == 0 && inChannels != width { total += inChannels * width + 2 * width }
                inChannels = width
            }
        }
        return total + 64 * classes + classes
    }

    @Test(arguments: [(20, 10, 272_474), (20, 100, 278_324), (110, 10, 1_730_714), (110, 100, 1_736_564)])
    func cifarResNet(depth: Int, classes: Int, expected: Int) {
        var generator = RandomGenerator(seed: 1)
        let model = ImageClassifier(backbone: CIFARResNet(depth: depth, generator: &generator),
                                    head: GlobalAveragePoolingHead(channels: 64, classes: classes, generator: &generator), headPrefix: "head")
        #expect(Self.cifarResNetParameters(depth: depth, classes: classes) == expected)
        #expect(model.parameterCount == expected)
    }
}
