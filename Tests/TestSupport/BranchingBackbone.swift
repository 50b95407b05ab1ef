import Models
import NN
import Tensors

/// A backbone that is in no zoo: a stem, 3x3 max pooling, then two branches (a plain
/// convolution, and conv-BN-ReLU in a `Sequential`) joined by a channel concatenation and
/// rectified. What a user of the library might write; graph capture and the exports derived
/// from it must handle it without knowing its type.
public final class BranchingBackbone: Module, Backbone {
    public let stem: Conv2d
    public let norm: BatchNorm2d
    public let pool: MaxPool2d
    public let left: Conv2d
    public let right: Sequential

    public init(inputChannels: Int = 3, generator: inout RandomGenerator) {
        stem = Conv2d(inputChannels, 8, kernelSize: 3, padding: 1, generator: &generator)
        norm = BatchNorm2d(8, fusedReLU: true)
        pool = MaxPool2d(kernelSize: 3, stride: 2, padding: 1)
        left = Conv2d(8, 6, kernelSize: 1, bias: true, generator: &generator)
        right = Sequential(Conv2d(8, 10, kernelSize: 3, padding: 1, generator: &generator), BatchNorm2d(10), ReLU())
    }

    public var featureChannels: Int { 16 }
    public var downsampling: Int { 2 }

    public func callAsFunction(_ images: Tensor) -> Tensor {
        let x = pool(norm(stem(images)))
        return Tensor.concatenatedChannels([left(x), right(x)]).relu()
    }
}
