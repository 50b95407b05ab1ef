/// The shape of one 2-D convolution: batch, channels, spatial size, kernel, stride, padding.
/// Activations are NHWC in memory (channels-last) and weights OIHW (PyTorch's layout).
public struct ConvolutionGeometry: Hashable, Sendable, CustomStringConvertible {
    public let batch: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let inputHeight: Int
    public let inputWidth: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let strideHeight: Int
    public let strideWidth: Int
    public let paddingHeight: Int
    public let paddingWidth: Int
    public let hasBias: Bool

    public init(batch: Int, inputChannels: Int, outputChannels: Int, inputHeight: Int, inputWidth: Int,
                kernelHeight: Int, kernelWidth: Int, strideHeight: Int = 1, strideWidth: Int = 1,
                paddingHeight: Int = 0, paddingWidth: Int = 0, hasBias: Bool = false) {
        self.batch = batch
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.paddingHeight = paddingHeight
        self.paddingWidth = paddingWidth
        self.hasBias = hasBias
    }

    public var outputHeight: Int { (inputHeight + 2 * paddingHeight - kernelHeight) / strideHeight + 1 }
    public var outputWidth: Int { (inputWidth + 2 * paddingWidth - kernelWidth) / strideWidth + 1 }
    public var inputCount: Int { batch * inputChannels * inputHeight * inputWidth }
    public var outputCount: Int { batch * outputChannels * outputHeight * outputWidth }
    public var weightCount: Int { outputChannels * inputChannels * kernelHeight * kernelWidth }

    /// Multiply-accumulates of the forward pass.
    public var multiplyAccumulates: Int { batch * outputHeight * outputWidth * weightCount }

    public var description: String {
        "conv \(inputChannels)→\(outputChannels) \(kernelHeight)x\(kernelWidth) stride \(strideHeight) pad \(paddingHeight) on \(batch)x\(inputHeight)x\(inputWidth)"
    }
}
