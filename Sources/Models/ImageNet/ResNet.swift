import NN
import Tensors

/// torchvision's ImageNet ResNets (He et al. 2016, Table 1): a 7x7 stride-2 stem of 64 channels,
/// BN-ReLU and 3x3 stride-2 max pooling, then four stages of basic (ResNet-18) or bottleneck
/// (ResNet-50, -101) blocks of base width 64, 128, 256 and 512, the last three starting with
/// stride 2: a 224x224 image becomes a 7x7 map of 512 (basic) or 2048 (bottleneck) channels.
///
/// Built with `headPrefix` "" and the GAP-FC head, the state dict is torchvision's key for key,
/// in its order and shapes (`conv1`, `bn1`, `layer{1-4}.{i}.conv1/bn1/.../downsample.{0,1}`,
/// `fc`), so a converted torchvision checkpoint loads with `load(from:)`. Initialisation is
/// torchvision's too: Kaiming-normal (fan-out) convolutions, BN with weight 1 and bias 0, no
/// zero-initialised last BN.
public final class ImageNetResNet: Module, Backbone {
    /// Where a downsampling bottleneck puts its stride.
    public enum StridePlacement: Sendable {
        /// In the 3x3 convolution, as torchvision does ("ResNet v1.5"): more accurate, and 5%
        /// (ResNet-50) more multiply-accumulates because the first 1x1 runs at full resolution.
        case threeByThree
        /// In the first 1x1 convolution, as the original Caffe models ("v1") whose FLOP counts
        /// (3.8G for ResNet-50, 7.6G for ResNet-101) papers keep quoting.
        case firstOneByOne
    }

    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let layer1: [any Layer]
    public let layer2: [any Layer]
    public let layer3: [any Layer]
    public let layer4: [any Layer]
    public let featureChannels: Int

    /// Depth 18 (basic blocks) or 50 and 101 (bottlenecks): torchvision's configurations.
    public init(depth: Int, stridePlacement: StridePlacement = .threeByThree, inputChannels: Int = 3,
                generator: inout RandomGenerator) {
        let blocksPerStage: [Int]
        switch depth {
        case 18: blocksPerStage = [2, 2, 2, 2]
        case 50: blocksPerStage = [3, 4, 6, 3]
        case 101: blocksPerStage = [3, 4, 23, 3]
        default: preconditionFailure("ImageNetResNet: depth must be 18, 50 or 101, got \(depth)")
        }
        let bottleneck = depth >= 50
        conv1 = Conv2d(inputChannels, 64, kernelSize: 7, stride: 2, padding: 3, generator: &generator)
        bn1 = BatchNorm2d(64, fusedReLU: true)
        var channels = 64
        var stages: [[any Layer]] = []
        for (stage, (width, blocks)) in zip([64, 128, 256, 512], blocksPerStage).enumerated() {
            stages.append((0..<blocks).map { index in
                let stride = stage > 0 && index == 0 ? 2 : 1
                let block: any Layer = if bottleneck {
                    ImageNetBottleneck(channels, width, stride: stride, stridePlacement: stridePlacement, generator: &generator)
                } else {
                    ImageNetBasicBlock(channels, width, stride: stride, generator: &generator)
                }
                channels = bottleneck ? 4 * width : width
                return block
            })
        }
        (layer1, layer2, layer3, layer4) = (stages[0], stages[1], stages[2], stages[3])
        featureChannels = channels
    }

    public var downsampling: Int { 32 }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        let stem = bn1(conv1(images)).maxPooled2D(kernel: 3, stride: 2, padding: 1)
        return (layer1 + layer2 + layer3 + layer4).reduce(stem) { $1($0) }
    }
}

/// torchvision's `BasicBlock`: conv3x3 (with the stride)-BN-ReLU, conv3x3-BN, plus the shortcut,
/// then ReLU. The shortcut is `downsample` (conv1x1 with the stride, BN) when the shape changes.
public final class ImageNetBasicBlock: Module, Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let downsample: Sequential?

    public init(_ inputChannels: Int, _ width: Int, stride: Int, generator: inout RandomGenerator) {
        conv1 = Conv2d(inputChannels, width, kernelSize: 3, stride: stride, padding: 1, generator: &generator)
        bn1 = BatchNorm2d(width, fusedReLU: true)
        conv2 = Conv2d(width, width, kernelSize: 3, padding: 1, generator: &generator)
        bn2 = BatchNorm2d(width)
        downsample = Self.projection(inputChannels, width, stride: stride, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        .residualReLU(bn2(conv2(bn1(conv1(input)))), downsample?(input) ?? input)
    }

    /// The conv1x1-BN shortcut of torchvision's blocks, when the shape changes.
    static func projection(_ inputChannels: Int, _ outputChannels: Int, stride: Int, generator: inout RandomGenerator) -> Sequential? {
        guard stride != 1 || inputChannels != outputChannels else { return nil }
        return Sequential(Conv2d(inputChannels, outputChannels, kernelSize: 1, stride: stride, generator: &generator),
                          BatchNorm2d(outputChannels))
    }
}

/// torchvision's `Bottleneck`: conv1x1-BN-ReLU to the base width, conv3x3-BN-ReLU, conv1x1-BN to
/// 4x the width, plus the shortcut, then ReLU.
public final class ImageNetBottleneck: Module, Layer {
    public let conv1: Conv2d
    public let bn1: BatchNorm2d
    public let conv2: Conv2d
    public let bn2: BatchNorm2d
    public let conv3: Conv2d
    public let bn3: BatchNorm2d
    public let downsample: Sequential?

    public init(_ inputChannels: Int, _ width: Int, stride: Int, stridePlacement: ImageNetResNet.StridePlacement,
                generator: inout RandomGenerator) {
        let reductionStride = stridePlacement == .firstOneByOne ? stride : 1
        conv1 = Conv2d(inputChannels, width, kernelSize: 1, stride: reductionStride, generator: &generator)
        bn1 = BatchNorm2d(width, fusedReLU: true)
        conv2 = Conv2d(width, width, kernelSize: 3, stride: stride / reductionStride, padding: 1, generator: &generator)
        bn2 = BatchNorm2d(width, fusedReLU: true)
        conv3 = Conv2d(width, 4 * width, kernelSize: 1, generator: &generator)
        bn3 = BatchNorm2d(4 * width)
        downsample = ImageNetBasicBlock.projection(inputChannels, 4 * width, stride: stride, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        .residualReLU(bn3(conv3(bn2(conv2(bn1(conv1(input)))))), downsample?(input) ?? input)
    }
}
