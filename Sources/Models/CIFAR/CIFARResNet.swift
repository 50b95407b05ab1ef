import NN
import Tensors

/// The CIFAR ResNets of He et al. (2016), depth 6n + 2: a 3x3 stem of 16 channels, three stages
/// of n basic blocks with 16, 32 and 64 channels (the last two start with stride 2), and an
/// 8x8x64 feature map for the head. ResNet-20 (n = 3) is the paper's "ResNet-18" row: 0.27M
/// parameters and 41M multiply-accumulates with a 10-class GAP-FC head.
///
/// The paper's text says that network's last maps are 4x4, not 8x8. No 0.27M-parameter CIFAR
/// ResNet with 4x4 maps costs 41M: the same convolutions on maps half as wide (a stride-2 stem,
/// or 16x16 inputs) cost 10.2M, a quarter. The table's figures are of the 8x8 network, so that is
/// what we build; `mpw models` prints both.
///
/// State-dict names follow the reference implementation: `conv`, `bn`, `layers.{i}.c1/b1/c2/b2`,
/// and `layers.{i}.sc.0/sc.1` for the projection shortcut (1x1 conv with stride, then BN) of
/// blocks that change shape.
public final class CIFARResNet: Module, Backbone {
    public let conv: Conv2d
    public let bn: BatchNorm2d
    public let layers: [BasicBlock]

    public init(depth: Int, inputChannels: Int = 3, generator: inout RandomGenerator) {
        precondition(depth >= 8 && (depth - 2) % 6 == 0, "CIFARResNet: depth must be 6n + 2 with n ≥ 1, got \(depth)")
        let blocksPerStage = (depth - 2) / 6
        conv = Conv2d(inputChannels, 16, kernelSize: 3, padding: 1, generator: &generator)
        bn = BatchNorm2d(16, fusedReLU: true)
        var blocks: [BasicBlock] = []
        var channels = 16
        for (width, stride) in [(16, 1), (32, 2), (64, 2)] {
            for index in 0..<blocksPerStage {
                blocks.append(BasicBlock(channels, width, stride: index == 0 ? stride : 1, generator: &generator))
                channels = width
            }
        }
        layers = blocks
    }

    public var featureChannels: Int { 64 }
    public var downsampling: Int { 4 }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        layers.reduce(bn(conv(images))) { $1($0) }
    }
}

/// Two 3x3 convolutions with batch normalisation and a residual connection.
public final class BasicBlock: Module, Layer {
    public let c1: Conv2d
    public let b1: BatchNorm2d
    public let c2: Conv2d
    public let b2: BatchNorm2d
    /// The projection shortcut when the block changes resolution or width; identity otherwise.
    public let sc: Sequential?

    public init(_ inputChannels: Int, _ outputChannels: Int, stride: Int, generator: inout RandomGenerator) {
        c1 = Conv2d(inputChannels, outputChannels, kernelSize: 3, stride: stride, padding: 1, generator: &generator)
        b1 = BatchNorm2d(outputChannels, fusedReLU: true)
        c2 = Conv2d(outputChannels, outputChannels, kernelSize: 3, padding: 1, generator: &generator)
        b2 = BatchNorm2d(outputChannels)
        sc = stride != 1 || inputChannels != outputChannels
            ? Sequential(Conv2d(inputChannels, outputChannels, kernelSize: 1, stride: stride, generator: &generator), BatchNorm2d(outputChannels))
            : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        .residualReLU(b2(c2(b1(c1(input)))), sc?(input) ?? input)
    }
}
