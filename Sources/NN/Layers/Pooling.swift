import Tensors

public final class MaxPool2d: Module, Layer {
    public let kernelSize, stride, padding: Int

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.maxPooled2D(kernel: kernelSize, stride: stride, padding: padding)
    }
}

public final class AvgPool2d: Module, Layer {
    public let kernelSize, stride, padding: Int

    public init(kernelSize: Int, stride: Int? = nil, padding: Int = 0) {
        self.kernelSize = kernelSize
        self.stride = stride ?? kernelSize
        self.padding = padding
    }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        input.averagePooled2D(kernel: kernelSize, stride: stride, padding: padding)
    }
}

/// (N, C, H, W) to (N, C) by averaging each channel over the spatial positions.
public final class GlobalAvgPool2d: Module, Layer {
    override public init() {}
    public func callAsFunction(_ input: Tensor) -> Tensor { input.globalAveragePooled() }
}
