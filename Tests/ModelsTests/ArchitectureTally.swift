/// Parameters and multiply-accumulates of a network added up by hand, layer by layer, from its
/// paper's description: the independent derivation the zoo's models are checked against.
struct ArchitectureTally {
    var parameters = 0
    var multiplyAccumulates = 0

    /// A bias-free k x k convolution producing a `side` x `side` map.
    mutating func convolution(_ input: Int, _ output: Int, kernel: Int, outputSide side: Int) {
        parameters += input * output * kernel * kernel
        multiplyAccumulates += input * output * kernel * kernel * side * side
    }

    /// Batch normalisation's scale and shift.
    mutating func batchNorm(_ channels: Int) {
        parameters += 2 * channels
    }

    /// The GAP-FC head: a linear layer with bias.
    mutating func linear(_ input: Int, _ output: Int) {
        parameters += input * output + output
        multiplyAccumulates += input * output
    }

    /// He et al.'s CIFAR ResNet, depth 6n + 2, with a GAP-FC head.
    static func cifarResNet(depth: Int, classes: Int) -> ArchitectureTally {
        var tally = ArchitectureTally()
        tally.convolution(3, 16, kernel: 3, outputSide: 32)
        tally.batchNorm(16)
        var (channels, side) = (16, 32)
        for (width, stride) in [(16, 1), (32, 2), (64, 2)] {
            for block in 0..<(depth - 2) / 6 {
                if block == 0 { side /= stride }
                tally.convolution(channels, width, kernel: 3, outputSide: side)
                tally.convolution(width, width, kernel: 3, outputSide: side)
                tally.batchNorm(2 * width)
                if channels != width {
                    tally.convolution(channels, width, kernel: 1, outputSide: side)
                    tally.batchNorm(width)
                }
                channels = width
            }
        }
        tally.linear(64, classes)
        return tally
    }

    /// Zagoruyko and Komodakis's WRN-depth-k with a GAP-FC head: pre-activation blocks (a BN
    /// before each convolution), a 1x1 shortcut convolution where the width changes, final BN.
    static func wideResNet(depth: Int, widenFactor k: Int, classes: Int) -> ArchitectureTally {
        var tally = ArchitectureTally()
        tally.convolution(3, 16, kernel: 3, outputSide: 32)
        var (channels, side) = (16, 32)
        for (width, stride) in [(16 * k, 1), (32 * k, 2), (64 * k, 2)] {
            for block in 0..<(depth - 4) / 6 {
                if block == 0 { side /= stride }
                tally.batchNorm(channels)
                tally.convolution(channels, width, kernel: 3, outputSide: side)
                tally.batchNorm(width)
                tally.convolution(width, width, kernel: 3, outputSide: side)
                if channels != width { tally.convolution(channels, width, kernel: 1, outputSide: side) }
                channels = width
            }
        }
        tally.batchNorm(channels)
        tally.linear(channels, classes)
        return tally
    }

    /// Huang et al.'s CIFAR DenseNet with a GAP-FC head: 2k stem channels; per layer BN + 3x3 conv
    /// to k channels (bottleneck: BN + 1x1 conv to 4k, BN + 3x3 conv to k); transitions BN + 1x1
    /// conv to ⌊θc⌋ channels, then 2x2 average pooling; final BN.
    static func denseNet(depth: Int, growthRate k: Int, bottleneck: Bool, compression: Double, classes: Int) -> ArchitectureTally {
        var tally = ArchitectureTally()
        var (channels, side) = (2 * k, 32)
        tally.convolution(3, channels, kernel: 3, outputSide: side)
        for block in 0..<3 {
            for _ in 0..<(depth - 4) / (bottleneck ? 6 : 3) {
                tally.batchNorm(channels)
                if bottleneck {
                    tally.convolution(channels, 4 * k, kernel: 1, outputSide: side)
                    tally.batchNorm(4 * k)
                    tally.convolution(4 * k, k, kernel: 3, outputSide: side)
                } else {
                    tally.convolution(channels, k, kernel: 3, outputSide: side)
                }
                channels += k
            }
            if block < 2 {
                let compressed = Int(Double(channels) * compression)
                tally.batchNorm(channels)
                tally.convolution(channels, compressed, kernel: 1, outputSide: side)
                (channels, side) = (compressed, side / 2)
            }
        }
        tally.batchNorm(channels)
        tally.linear(channels, classes)
        return tally
    }

    /// Han et al.'s bottleneck PyramidNet with a GAP-FC head: block i (of 3n) has width
    /// round(16 + i·alpha/3n) and output 4x that; BN, 1x1, BN, 3x3, BN, 1x1, BN; parameter-free
    /// shortcuts; stem conv + BN; final BN.
    static func pyramidNet(depth: Int, alpha: Double, classes: Int) -> ArchitectureTally {
        var tally = ArchitectureTally()
        tally.convolution(3, 16, kernel: 3, outputSide: 32)
        tally.batchNorm(16)
        let blocks = (depth - 2) / 9
        var (channels, side) = (16, 32)
        for stage in 0..<3 {
            for block in 0..<blocks {
                let index = stage * blocks + block + 1
                let width = Int((16 + Double(index) * alpha / Double(3 * blocks)).rounded())
                let inputSide = side
                if block == 0 && stage > 0 { side /= 2 }
                tally.batchNorm(channels)
                tally.convolution(channels, width, kernel: 1, outputSide: inputSide)
                tally.batchNorm(width)
                tally.convolution(width, width, kernel: 3, outputSide: side)
                tally.batchNorm(width)
                tally.convolution(width, 4 * width, kernel: 1, outputSide: side)
                tally.batchNorm(4 * width)
                channels = 4 * width
            }
        }
        tally.batchNorm(channels)
        tally.linear(channels, classes)
        return tally
    }

    /// He et al.'s ImageNet ResNets with torchvision's 1000-class FC: 7x7/2 stem + BN, max pool,
    /// four stages; bottlenecks put the stride in the 3x3 (torchvision) or the first 1x1 (v1).
    static func imageNetResNet(blocks: [Int], bottleneck: Bool, strideInFirstOneByOne: Bool = false) -> ArchitectureTally {
        var tally = ArchitectureTally()
        tally.convolution(3, 64, kernel: 7, outputSide: 112)
        tally.batchNorm(64)
        var (channels, side) = (64, 56)
        for (stage, (width, count)) in zip([64, 128, 256, 512], blocks).enumerated() {
            for block in 0..<count {
                let inputSide = side
                if block == 0 && stage > 0 { side /= 2 }
                let output = bottleneck ? 4 * width : width
                if bottleneck {
                    tally.convolution(channels, width, kernel: 1, outputSide: strideInFirstOneByOne ? side : inputSide)
                    tally.convolution(width, width, kernel: 3, outputSide: side)
                    tally.convolution(width, output, kernel: 1, outputSide: side)
                    tally.batchNorm(2 * width + output)
                } else {
                    tally.convolution(channels, width, kernel: 3, outputSide: side)
                    tally.convolution(width, width, kernel: 3, outputSide: side)
                    tally.batchNorm(2 * width)
                }
                if block == 0 && (stage > 0 || channels != output) {
                    tally.convolution(channels, output, kernel: 1, outputSide: side)
                    tally.batchNorm(output)
                }
                channels = output
            }
        }
        tally.linear(channels, 1000)
        return tally
    }
}
