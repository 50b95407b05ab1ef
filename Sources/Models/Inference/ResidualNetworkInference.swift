import Kernels
import NN
import Tensors

/// The post-activation ResNets (CIFAR ResNets, torchvision's ResNets): every BatchNorm follows a
/// convolution and folds into it, and each block's last convolution adds the shortcut and
/// applies the ReLU in its own pass.
struct ResidualNetworkInference: InferenceBackbone {
    let stem: FoldedConvolution
    /// torchvision's 3x3 stride-2 max pooling after the stem.
    let stemPooling: Bool
    let blocks: [ResidualBlockInference]

    init(_ network: CIFARResNet, algorithm: ConvolutionAlgorithm) {
        stem = FoldedConvolution(network.conv, outputNorm: network.bn, relu: network.bn.fusedReLU, algorithm: algorithm)
        stemPooling = false
        blocks = network.layers.map { block in
            ResidualBlockInference(path: [(block.c1, block.b1), (block.c2, block.b2)], shortcut: block.sc, algorithm: algorithm)
        }
    }

    init(_ network: ImageNetResNet, algorithm: ConvolutionAlgorithm) {
        stem = FoldedConvolution(network.conv1, outputNorm: network.bn1, relu: network.bn1.fusedReLU, algorithm: algorithm)
        stemPooling = true
        blocks = (network.layer1 + network.layer2 + network.layer3 + network.layer4).map { layer in
            switch layer {
            case let block as ImageNetBasicBlock:
                ResidualBlockInference(path: [(block.conv1, block.bn1), (block.conv2, block.bn2)], shortcut: block.downsample,
                                       algorithm: algorithm)
            case let block as ImageNetBottleneck:
                ResidualBlockInference(path: [(block.conv1, block.bn1), (block.conv2, block.bn2), (block.conv3, block.bn3)],
                                       shortcut: block.downsample, algorithm: algorithm)
            default:
                preconditionFailure("ResidualNetworkInference: unknown block \(type(of: layer))")
            }
        }
    }

    func callAsFunction(_ images: Tensor) -> Tensor {
        let stemmed = stem(images)
        var features = stemPooling ? stemmed.maxPooled2D(kernel: 3, stride: 2, padding: 1) : stemmed
        // Handed over, not shared: the block's last convolution then accumulates into its input in place.
        for block in blocks { features = block(consume features) }
        return features
    }
}

/// conv-BN(-ReLU) ... conv-BN, plus the shortcut, then ReLU: the last convolution accumulates
/// onto the shortcut and applies the ReLU as its epilogue.
struct ResidualBlockInference {
    let path: [FoldedConvolution]
    let shortcut: FoldedConvolution?

    /// `path` in order, each convolution with the BatchNorm after it; `shortcut` the conv1x1-BN
    /// projection, if any.
    init(path layers: [(Conv2d, BatchNorm2d)], shortcut projection: Sequential?, algorithm: ConvolutionAlgorithm) {
        path = layers.enumerated().map { index, layer in
            index == layers.count - 1
                ? FoldedConvolution(layer.0, outputNorm: layer.1, addsResidual: true, relu: true, algorithm: algorithm)
                : FoldedConvolution(layer.0, outputNorm: layer.1, relu: layer.1.fusedReLU, algorithm: algorithm)
        }
        shortcut = projection.map { projection in
            guard projection.layers.count == 2, let conv = projection.layers[0] as? Conv2d, let norm = projection.layers[1] as? BatchNorm2d else {
                preconditionFailure("ResidualBlockInference: the shortcut must be conv1x1-BN")
            }
            return FoldedConvolution(conv, outputNorm: norm, relu: norm.fusedReLU, algorithm: algorithm)
        }
    }

    func callAsFunction(_ input: consuming Tensor) -> Tensor {
        let hidden = path.dropLast().reduce(input) { $1($0) }
        if let shortcut { return path[path.count - 1](hidden, adding: shortcut(input)) }
        return path[path.count - 1](hidden, adding: consume input)
    }
}
