import Models
import NN

/// Every zoo backbone's evaluation-mode forward pass as ONNX nodes, following each model's
/// `callAsFunction` step for step.
extension ONNXGraph {
    /// The feature maps (B, d, h, w) of `backbone` on `images`; nil for a backbone type this
    /// exporter does not know.
    mutating func backbone(_ images: String, _ backbone: any Backbone) -> String? {
        switch backbone {
        case let net as CIFARResNet: cifarResNet(images, net)
        case let net as WideResNet: wideResNet(images, net)
        case let net as DenseNet: denseNet(images, net)
        case let net as PyramidNet: pyramidNet(images, net)
        case let net as ImageNetResNet: imageNetResNet(images, net)
        default: nil
        }
    }

    private mutating func cifarResNet(_ images: String, _ net: CIFARResNet) -> String {
        var x = batchNorm(conv(images, net.conv), net.bn)
        for block in net.layers {
            let residual = batchNorm(conv(batchNorm(conv(x, block.c1), block.b1), block.c2), block.b2)
            x = relu(add(residual, block.sc.map { projection(x, $0) } ?? x))
        }
        return x
    }

    /// A `Sequential(Conv2d, BatchNorm2d)` projection shortcut.
    private mutating func projection(_ input: String, _ shortcut: Sequential) -> String {
        var x = input
        for layer in shortcut.layers {
            switch layer {
            case let conv as Conv2d: x = self.conv(x, conv)
            case let norm as BatchNorm2d: x = batchNorm(x, norm)
            default: preconditionFailure("ONNX export: unexpected shortcut layer \(type(of: layer))")
            }
        }
        return x
    }

    private mutating func wideResNet(_ images: String, _ net: WideResNet) -> String {
        var x = conv(images, net.conv1)
        for block in net.block1.layer + net.block2.layer + net.block3.layer {
            let activated = batchNorm(x, block.bn1)
            let hidden = batchNorm(conv(activated, block.conv1), block.bn2)
            x = add(conv(hidden, block.conv2), block.convShortcut.map { conv(activated, $0) } ?? x)
        }
        return batchNorm(x, net.bn1)
    }

    private mutating func denseNet(_ images: String, _ net: DenseNet) -> String {
        var x = denseBlock(conv(images, net.conv1), net.dense1)
        x = denseBlock(denseTransition(x, net.trans1), net.dense2)
        x = denseBlock(denseTransition(x, net.trans2), net.dense3)
        return batchNorm(x, net.bn1)
    }

    /// Each layer's new channels concatenated after all earlier ones.
    private mutating func denseBlock(_ input: String, _ layers: [DenseLayer]) -> String {
        var features = input
        for layer in layers {
            var grown = conv(batchNorm(features, layer.bn1), layer.conv1)
            if let bn2 = layer.bn2, let conv2 = layer.conv2 { grown = conv(batchNorm(grown, bn2), conv2) }
            features = node("Concat", [features, grown], [.int("axis", 1)])[0]
        }
        return features
    }

    private mutating func denseTransition(_ input: String, _ layer: DenseTransition) -> String {
        averagePool(conv(batchNorm(input, layer.bn1), layer.conv1), kernel: 2)
    }

    private mutating func pyramidNet(_ images: String, _ net: PyramidNet) -> String {
        var x = batchNorm(conv(images, net.conv1), net.bn1)
        for block in net.layer1 + net.layer2 + net.layer3 {
            let first = conv(batchNorm(x, block.bn1), block.conv1)
            let residual = batchNorm(conv(batchNorm(conv(batchNorm(first, block.bn2), block.conv2), block.bn3), block.conv3), block.bn4)
            var shortcut = block.stride == 1 ? x : averagePool(x, kernel: block.stride)
            let missing = block.outputChannels - block.bn1.weight.shape[0]
            if missing > 0 {
                shortcut = op("Pad", shortcut, int64s([0, 0, 0, 0, 0, missing, 0, 0]))
            }
            x = add(residual, shortcut)
        }
        return batchNorm(x, net.bnFinal)
    }

    private mutating func imageNetResNet(_ images: String, _ net: ImageNetResNet) -> String {
        var x = maxPool(batchNorm(conv(images, net.conv1), net.bn1), kernel: 3, stride: 2, padding: 1)
        for block in net.layer1 + net.layer2 + net.layer3 + net.layer4 {
            switch block {
            case let basic as ImageNetBasicBlock:
                let residual = batchNorm(conv(batchNorm(conv(x, basic.conv1), basic.bn1), basic.conv2), basic.bn2)
                x = relu(add(residual, basic.downsample.map { projection(x, $0) } ?? x))
            case let bottleneck as ImageNetBottleneck:
                let reduced = batchNorm(conv(batchNorm(conv(x, bottleneck.conv1), bottleneck.bn1), bottleneck.conv2), bottleneck.bn2)
                let residual = batchNorm(conv(reduced, bottleneck.conv3), bottleneck.bn3)
                x = relu(add(residual, bottleneck.downsample.map { projection(x, $0) } ?? x))
            default:
                preconditionFailure("ONNX export: unexpected ResNet block \(type(of: block))")
            }
        }
        return x
    }
}
