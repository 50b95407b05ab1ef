import NN
import Tensors

/// The CIFAR PyramidNets of Han, Kim and Kim (2017) with bottleneck blocks: instead of doubling
/// the width at each downsampling, every one of the 3n blocks (n = (depth - 2) / 9) widens the
/// network by alpha / 3n, so the bottleneck width grows linearly from 16 to 16 + alpha and the
/// head gets an 8x8 map of 4(16 + alpha) channels. PyramidNet-200 with alpha = 240 (the paper's,
/// trained with CutMix) has 26.8M parameters and 4.52G multiply-accumulates with a 10-class
/// GAP-FC head, and a 1024-channel feature map.
///
/// The shortcut has no parameters: 2x2 average pooling when the block downsamples, then zero
/// channels appended to match the wider output (so inputs need a side divisible by 4). Widths are
/// rounded as the reference code rounds its running float width, half to even like Python's
/// `round` (dyhan0920/PyramidNet-PyTorch, the code CutMix trains), whose state-dict names we use:
/// `conv1`, `bn1`, `layer{1,2,3}.{i}.bn1/conv1/bn2/conv2/bn3/conv3/bn4`, `bn_final`.
public final class PyramidNet: Module, Backbone {
    public let conv1: Conv2d
    /// The stem's BN has no ReLU: every block starts with its own BN.
    public let bn1: BatchNorm2d
    public let layer1: [PyramidBottleneck]
    public let layer2: [PyramidBottleneck]
    public let layer3: [PyramidBottleneck]
    /// The final BN-ReLU: the blocks' outputs are not activated.
    public let bnFinal: BatchNorm2d

    public init(depth: Int, alpha: Double, inputChannels: Int = 3, generator: inout RandomGenerator) {
        precondition(depth >= 11 && (depth - 2) % 9 == 0, "PyramidNet: bottleneck depth must be 9n + 2 with n ≥ 1, got \(depth)")
        precondition(alpha >= 0, "PyramidNet: alpha must not be negative, got \(alpha)")
        let blocksPerStage = (depth - 2) / 9
        let increment = alpha / Double(3 * blocksPerStage)
        var width = 16.0
        var channels = 16
        func stage(stride: Int, _ generator: inout RandomGenerator) -> [PyramidBottleneck] {
            (0..<blocksPerStage).map { index in
                width += increment
                let block = PyramidBottleneck(channels, Int(width.rounded(.toNearestOrEven)), stride: index == 0 ? stride : 1,
                                              generator: &generator)
                channels = block.outputChannels
                return block
            }
        }
        conv1 = Conv2d(inputChannels, 16, kernelSize: 3, padding: 1, generator: &generator)
        bn1 = BatchNorm2d(16)
        layer1 = stage(stride: 1, &generator)
        layer2 = stage(stride: 2, &generator)
        layer3 = stage(stride: 2, &generator)
        bnFinal = BatchNorm2d(channels, fusedReLU: true)
    }

    override public var namedChildren: [(name: String, module: Module)] {
        super.namedChildren.map { $0.name == "bnFinal" ? (name: "bn_final", module: $0.module) : $0 }
    }

    public var featureChannels: Int { bnFinal.weight.shape[0] }
    public var downsampling: Int { 4 }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        let stem = bn1(conv1(images))
        return bnFinal((layer1 + layer2 + layer3).reduce(stem) { $1($0) })
    }
}

/// PyramidNet's bottleneck: BN, conv1x1 to the block's width, BN-ReLU, conv3x3 (with the
/// stride), BN-ReLU, conv1x1 to 4x the width, BN; plus the zero-padded shortcut. No ReLU after
/// the first BN or after the sum, as the paper found best.
public final class PyramidBottleneck: Module, Layer {
    public let bn1: BatchNorm2d
    public let conv1: Conv2d
    public let bn2: BatchNorm2d
    public let conv2: Conv2d
    public let bn3: BatchNorm2d
    public let conv3: Conv2d
    public let bn4: BatchNorm2d
    public let stride: Int

    public init(_ inputChannels: Int, _ width: Int, stride: Int, generator: inout RandomGenerator) {
        bn1 = BatchNorm2d(inputChannels)
        conv1 = Conv2d(inputChannels, width, kernelSize: 1, generator: &generator)
        bn2 = BatchNorm2d(width, fusedReLU: true)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: stride, padding: 1, generator: &generator)
        bn3 = BatchNorm2d(width, fusedReLU: true)
        conv3 = Conv2d(width, 4 * width, kernelSize: 1, generator: &generator)
        bn4 = BatchNorm2d(4 * width)
        self.stride = stride
    }

    public var outputChannels: Int { conv3.outputChannels }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        // bn1 has no ReLU: the first convolution recomputes its output in the backward pass instead of keeping it.
        let first = bn1.convolving([FeatureSlice(input, batchStatistics: isTraining)], with: conv1)
        let residual = bn4(conv3(bn3(conv2(bn2(first)))))
        let shortcut = stride == 1 ? input : input.averagePooled2D(kernel: stride)
        return .addingZeroPaddedShortcut(residual, shortcut)
    }
}
