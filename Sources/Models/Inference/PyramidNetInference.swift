import Kernels
import NN
import Tensors

/// PyramidNet's bottlenecks with every BatchNorm folded: the block's leading BN (no ReLU) into
/// its unpadded 1x1 reduction together with the BN-ReLU after it, the other two into the
/// convolutions before them; the expanding 1x1 convolution adds the zero-padded shortcut in its
/// own pass.
struct PyramidNetInference: InferenceBackbone {
    let stem: FoldedConvolution
    let blocks: [PyramidBlockInference]
    let final: FrozenBatchNorm

    init(_ network: PyramidNet, algorithm: ConvolutionAlgorithm) {
        stem = FoldedConvolution(network.conv1, outputNorm: network.bn1, relu: network.bn1.fusedReLU, algorithm: algorithm)
        blocks = (network.layer1 + network.layer2 + network.layer3).map { PyramidBlockInference($0, algorithm: algorithm) }
        final = FrozenBatchNorm(network.bnFinal)
    }

    func callAsFunction(_ images: Tensor) -> Tensor {
        final(blocks.reduce(stem(images)) { $1($0) })
    }
}

struct PyramidBlockInference {
    let reduce: FoldedConvolution
    let spatial: FoldedConvolution
    let expand: FoldedConvolution
    let stride: Int

    init(_ block: PyramidBottleneck, algorithm: ConvolutionAlgorithm) {
        precondition(!block.bn1.fusedReLU, "PyramidBlockInference: the leading BatchNorm has no ReLU")
        reduce = FoldedConvolution(block.conv1, inputNorm: block.bn1, outputNorm: block.bn2, relu: block.bn2.fusedReLU,
                                   algorithm: algorithm)
        spatial = FoldedConvolution(block.conv2, outputNorm: block.bn3, relu: block.bn3.fusedReLU, algorithm: algorithm)
        expand = FoldedConvolution(block.conv3, outputNorm: block.bn4, addsResidual: true, algorithm: algorithm)
        stride = block.stride
    }

    func callAsFunction(_ input: Tensor) -> Tensor {
        let shortcut = stride == 1 ? input : input.averagePooled2D(kernel: stride)
        return expand(spatial(reduce(input)), adding: shortcut.zeroPaddedChannels(to: expand.kernel.outputChannels))
    }
}
