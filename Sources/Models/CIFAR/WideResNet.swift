import NN
import Tensors

/// The wide residual networks of Zagoruyko and Komodakis (2016), WRN-d-k: a 3x3 stem of 16
/// channels, then three groups of n = (d - 4) / 6 pre-activation blocks of width 16k, 32k and 64k
/// (the last two groups start with stride 2), and a final BN-ReLU that hands the head an 8x8 map
/// of 64k channels. WRN-40-2 has 2.24M parameters and 0.33G multiply-accumulates with a 10-class
/// GAP-FC head; WRN-28-10 has 36.5M and 5.25G.
///
/// State-dict names follow the widely used PyTorch reference (xternalz/WideResNet-pytorch):
/// `conv1`, `block{1,2,3}.layer.{i}.bn1/conv1/bn2/conv2/convShortcut`, and the final `bn1`.
public final class WideResNet: Module, Backbone {
    public let conv1: Conv2d
    public let block1: WideResNetGroup
    public let block2: WideResNetGroup
    public let block3: WideResNetGroup
    /// The final BN-ReLU: pre-activation blocks end without one, so the head needs it here.
    public let bn1: BatchNorm2d

    /// `dropout` is the paper's optional dropout between the two convolutions of each block (0,
    /// off, in the paper's CIFAR runs).
    public init(depth: Int, widenFactor: Int, dropout: Float = 0, inputChannels: Int = 3, generator: inout RandomGenerator) {
        precondition(depth >= 10 && (depth - 4) % 6 == 0, "WideResNet: depth must be 6n + 4 with n ≥ 1, got \(depth)")
        precondition(widenFactor >= 1, "WideResNet: widen factor must be positive, got \(widenFactor)")
        let blocks = (depth - 4) / 6
        let widths = [16, 32, 64].map { $0 * widenFactor }
        conv1 = Conv2d(inputChannels, 16, kernelSize: 3, padding: 1, generator: &generator)
        block1 = WideResNetGroup(blocks: blocks, 16, widths[0], stride: 1, dropout: dropout, generator: &generator)
        block2 = WideResNetGroup(blocks: blocks, widths[0], widths[1], stride: 2, dropout: dropout, generator: &generator)
        block3 = WideResNetGroup(blocks: blocks, widths[1], widths[2], stride: 2, dropout: dropout, generator: &generator)
        bn1 = BatchNorm2d(widths[2], fusedReLU: true)
    }

    public var featureChannels: Int { bn1.weight.shape[0] }
    public var downsampling: Int { 4 }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        bn1(block3(block2(block1(conv1(images)))))
    }
}

/// One group of blocks at a single width (the reference's `NetworkBlock`).
public final class WideResNetGroup: Module, Layer {
    public let layer: [WideResNetBlock]

    public init(blocks: Int, _ inputChannels: Int, _ outputChannels: Int, stride: Int, dropout: Float, generator: inout RandomGenerator) {
        layer = (0..<blocks).map { index in
            WideResNetBlock(index == 0 ? inputChannels : outputChannels, outputChannels, stride: index == 0 ? stride : 1,
                            dropout: dropout, generator: &generator)
        }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        layer.reduce(input) { $1($0) }
    }
}

/// The pre-activation block: BN-ReLU-conv3x3, BN-ReLU-(dropout)-conv3x3, plus the input. When
/// the block changes width or resolution, a 1x1 convolution of the *activated* input is the
/// shortcut, as in the reference code.
public final class WideResNetBlock: Module, Layer {
    public let bn1: BatchNorm2d
    public let conv1: Conv2d
    public let bn2: BatchNorm2d
    public let conv2: Conv2d
    public let convShortcut: Conv2d?
    public let dropout: Dropout?

    public init(_ inputChannels: Int, _ outputChannels: Int, stride: Int, dropout: Float, generator: inout RandomGenerator) {
        bn1 = BatchNorm2d(inputChannels, fusedReLU: true)
        conv1 = Conv2d(inputChannels, outputChannels, kernelSize: 3, stride: stride, padding: 1, generator: &generator)
        bn2 = BatchNorm2d(outputChannels, fusedReLU: true)
        conv2 = Conv2d(outputChannels, outputChannels, kernelSize: 3, padding: 1, generator: &generator)
        convShortcut = inputChannels != outputChannels || stride != 1
            ? Conv2d(inputChannels, outputChannels, kernelSize: 1, stride: stride, generator: &generator)
            : nil
        self.dropout = dropout > 0 ? Dropout(probability: dropout, seed: generator.next()) : nil
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        let activated = bn1(input)
        let hidden = bn2(conv1(activated))
        let residual = conv2(dropout?(hidden) ?? hidden)
        return residual + (convShortcut?(activated) ?? input)
    }
}
