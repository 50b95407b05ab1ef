import ModelGraph
import Tensors

/// A 2-D convolution layer with OIHW weights (PyTorch's Conv2d, groups = 1), initialised as
/// torchvision does: Kaiming-normal with fan-out and the ReLU gain.
public final class Conv2d: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?
    public let stride: Int
    public let padding: Int

    public init(_ inputChannels: Int, _ outputChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                bias: Bool = false, generator: inout RandomGenerator) {
        weight = Parameter(Initialization.kaimingNormalFanOut([outputChannels, inputChannels, kernelSize, kernelSize], generator: &generator),
                           role: .weight)
        self.bias = bias ? Parameter(.zeros([outputChannels]), role: .bias) : nil
        self.stride = stride
        self.padding = padding
    }

    public var inputChannels: Int { weight.shape[1] }
    public var outputChannels: Int { weight.shape[0] }
    public var kernelSize: Int { weight.shape[2] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor.traced([input], module: self) {
            let output = input.convolved2D(weight: weight.value, bias: bias?.value, stride: stride, padding: padding)
            MultiplyAccumulateCounter.record(output.count / outputChannels * weight.value.count)
            return output
        } record: { recorder, operands, _ in
            (.convolution(GraphOperation.Convolution(weight: recorder.name(of: weight, module: self),
                                                     bias: bias.map { recorder.name(of: $0, module: self) },
                                                     stride: stride, padding: padding)), operands)
        }
    }
}
