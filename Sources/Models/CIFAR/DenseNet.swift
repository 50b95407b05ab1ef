import NN
import Tensors

/// The CIFAR DenseNets of Huang et al. (2017): a 3x3 stem of 2k channels, three dense blocks at
/// 32x32, 16x16 and 8x8 in which every layer adds k (the growth rate) channels to the running
/// concatenation, transitions (BN-ReLU-conv1x1-avgpool2) that compress the channels by
/// `compression` in between, and a final BN-ReLU that hands the head an 8x8 map.
///
/// Which variant is the paper's "DenseNet-100 (k = 12)"? Its Tables 1-2 list 4.07M parameters
/// (CIFAR-10) and 4.12M (CIFAR-100) and 1.35 GFLOPs. Counted exactly with a 10-class GAP-FC head:
///
/// | depth 100, k = 12 | bottleneck | compression | feature d | parameters | MACs |
/// | --- | --- | --- | --- | --- | --- |
/// | DenseNet | no | 1 | 1176 | 7.08M | 1.82G |
/// | DenseNet-BC | yes | 0.5 | 342 | 0.77M | 0.29G |
/// | DenseNet-B | yes | 1 | 600 | 1.21M | 0.38G |
/// | **DenseNet-C** | **no** | **0.5** | **678** | **4.07M** (4.13M for 100 classes) | **1.32G** |
/// | DenseNet-BC, k = 24 | yes | 0.5 | 684 | 3.02M | 1.15G |
///
/// Only DenseNet-C (32 plain 3x3 layers per block, transitions halving the channels) matches:
/// 4,068,490 parameters for 10 classes, 4,129,600 for 100 (0.2% above the paper's 4.12M) and
/// 1.32G MACs (1.9% below 1.35G). It is what `DenseNet(growthRate=12, depth=100, reduction=0.5,
/// bottleneck=False)` builds in the common PyTorch port (bamos/densenet.pytorch), whose
/// state-dict names we use: `conv1`, `dense{1,2,3}.{i}.bn1/conv1(/bn2/conv2)`,
/// `trans{1,2}.bn1/conv1`, and the final `bn1`.
public final class DenseNet: Module, Backbone {
    public let conv1: Conv2d
    public let dense1: [DenseLayer]
    public let trans1: DenseTransition
    public let dense2: [DenseLayer]
    public let trans2: DenseTransition
    public let dense3: [DenseLayer]
    public let bn1: BatchNorm2d

    /// depth = 3n + 4 with n plain layers per block, or 6n + 4 with n bottleneck layers (each
    /// bottleneck layer is two convolutions deep).
    public init(depth: Int, growthRate: Int, bottleneck: Bool, compression: Double, inputChannels: Int = 3,
                generator: inout RandomGenerator) {
        let convolutionsPerLayer = bottleneck ? 2 : 1
        precondition((depth - 4) % (3 * convolutionsPerLayer) == 0 && depth > 4,
                     "DenseNet: depth must be \(3 * convolutionsPerLayer)n + 4, got \(depth)")
        precondition(growthRate >= 1 && compression > 0 && compression <= 1,
                     "DenseNet: growth rate \(growthRate) and compression \(compression) out of range")
        let layersPerBlock = (depth - 4) / (3 * convolutionsPerLayer)
        var channels = 2 * growthRate
        func block(_ generator: inout RandomGenerator) -> [DenseLayer] {
            (0..<layersPerBlock).map { _ in
                defer { channels += growthRate }
                return DenseLayer(channels, growthRate: growthRate, bottleneck: bottleneck, generator: &generator)
            }
        }
        func transition(_ generator: inout RandomGenerator) -> DenseTransition {
            defer { channels = Int((Double(channels) * compression).rounded(.down)) }
            return DenseTransition(channels, Int((Double(channels) * compression).rounded(.down)), generator: &generator)
        }
        conv1 = Conv2d(inputChannels, channels, kernelSize: 3, padding: 1, generator: &generator)
        dense1 = block(&generator)
        trans1 = transition(&generator)
        dense2 = block(&generator)
        trans2 = transition(&generator)
        dense3 = block(&generator)
        bn1 = BatchNorm2d(channels, fusedReLU: true)
    }

    public var featureChannels: Int { bn1.weight.shape[0] }
    public var downsampling: Int { 4 }

    /// Each block keeps its layers' outputs as separate slices that later layers read in place
    /// (see `DenseConvolution`); only the final BN sees them joined.
    public func callAsFunction(_ images: Tensor) -> Tensor {
        func run(_ layers: [DenseLayer], _ input: Tensor) -> [FeatureSlice] {
            layers.reduce([FeatureSlice(input, batchStatistics: isTraining)]) { slices, layer in
                slices + [FeatureSlice(layer(slices), batchStatistics: isTraining)]
            }
        }
        func joined(_ slices: [FeatureSlice]) -> Tensor { .concatenatedChannels(slices.map(\.tensor)) }
        let block3 = run(dense3, trans2(run(dense2, trans1(run(dense1, conv1(images))))))
        return bn1(joined(block3))
    }
}

/// One layer of a dense block: BN-ReLU-conv3x3 producing k new channels (with a bottleneck,
/// BN-ReLU-conv1x1 to 4k channels first), concatenated after its input.
public final class DenseLayer: Module, Layer {
    public let bn1: BatchNorm2d
    public let conv1: Conv2d
    public let bn2: BatchNorm2d?
    public let conv2: Conv2d?

    public init(_ inputChannels: Int, growthRate: Int, bottleneck: Bool, generator: inout RandomGenerator) {
        bn1 = BatchNorm2d(inputChannels, fusedReLU: true)
        if bottleneck {
            conv1 = Conv2d(inputChannels, 4 * growthRate, kernelSize: 1, generator: &generator)
            bn2 = BatchNorm2d(4 * growthRate, fusedReLU: true)
            conv2 = Conv2d(4 * growthRate, growthRate, kernelSize: 3, padding: 1, generator: &generator)
        } else {
            conv1 = Conv2d(inputChannels, growthRate, kernelSize: 3, padding: 1, generator: &generator)
            bn2 = nil
            conv2 = nil
        }
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        .concatenatedChannels([input, callAsFunction([FeatureSlice(input, batchStatistics: isTraining)])])
    }

    /// The layer's new channels, from the slices of the block so far.
    public func callAsFunction(_ slices: [FeatureSlice]) -> Tensor {
        let first = bn1.convolving(slices, with: conv1)
        return if let bn2, let conv2 { conv2(bn2(first)) } else { first }
    }
}

/// Between dense blocks: BN-ReLU-conv1x1 to the compressed width, then 2x2 average pooling.
public final class DenseTransition: Module, Layer {
    public let bn1: BatchNorm2d
    public let conv1: Conv2d

    public init(_ inputChannels: Int, _ outputChannels: Int, generator: inout RandomGenerator) {
        bn1 = BatchNorm2d(inputChannels, fusedReLU: true)
        conv1 = Conv2d(inputChannels, outputChannels, kernelSize: 1, generator: &generator)
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        callAsFunction([FeatureSlice(input, batchStatistics: isTraining)])
    }

    public func callAsFunction(_ slices: [FeatureSlice]) -> Tensor {
        bn1.convolving(slices, with: conv1).averagePooled2D(kernel: 2)
    }
}
