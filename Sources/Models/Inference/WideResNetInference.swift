import Kernels
import NN
import Tensors

/// WRN's pre-activation blocks: the BatchNorm after each block's first convolution folds into
/// it with its ReLU, the second convolution adds the shortcut in its own pass; the BN-ReLU at
/// the head of each block reads the sum that the next shortcut also needs, so it stays a pass.
struct WideResNetInference: InferenceBackbone {
    let stem: FoldedConvolution
    let blocks: [PreActivationBlockInference]
    let final: FrozenBatchNorm

    init(_ network: WideResNet, algorithm: ConvolutionAlgorithm) {
        stem = FoldedConvolution(network.conv1, algorithm: algorithm)
        blocks = (network.block1.layer + network.block2.layer + network.block3.layer).map {
            PreActivationBlockInference($0, algorithm: algorithm)
        }
        final = FrozenBatchNorm(network.bn1)
    }

    func callAsFunction(_ images: Tensor) -> Tensor {
        var features = stem(images)
        for block in blocks { features = block(consume features) }
        return final(features)
    }
}

/// BN-ReLU, conv3x3-BN-ReLU (folded), conv3x3 plus the shortcut (the input, or a 1x1
/// convolution of the activated input). Dropout is the identity in evaluation.
struct PreActivationBlockInference {
    let norm: FrozenBatchNorm
    let first: FoldedConvolution
    let second: FoldedConvolution
    let shortcut: FoldedConvolution?

    init(_ block: WideResNetBlock, algorithm: ConvolutionAlgorithm) {
        norm = FrozenBatchNorm(block.bn1)
        first = FoldedConvolution(block.conv1, outputNorm: block.bn2, relu: block.bn2.fusedReLU, algorithm: algorithm)
        second = FoldedConvolution(block.conv2, addsResidual: true, algorithm: algorithm)
        shortcut = block.convShortcut.map { FoldedConvolution($0, algorithm: algorithm) }
    }

    func callAsFunction(_ input: consuming Tensor) -> Tensor {
        let activated = norm(input)
        if let shortcut { return second(first(activated), adding: shortcut(activated)) }
        return second(first(activated), adding: consume input)
    }
}
