import Kernels
import ModelGraph
import Tensors

/// y = x·Wᵀ + b with W of shape (out, in), initialised as PyTorch's Linear:
/// uniform in ±1/√in for both weight and bias. The product runs in bf16 inside an `Autocast` bf16
/// scope; the bias is added in float32.
public final class Linear: Module, Layer {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ inputFeatures: Int, _ outputFeatures: Int, bias: Bool = true, generator: inout RandomGenerator) {
        let bound = 1 / Float(inputFeatures).squareRoot()
        weight = Parameter(.randomUniform([outputFeatures, inputFeatures], lower: -bound, upper: bound, generator: &generator), role: .weight)
        self.bias = bias ? Parameter(.randomUniform([outputFeatures], lower: -bound, upper: bound, generator: &generator), role: .bias) : nil
    }

    public var inputFeatures: Int { weight.shape[1] }
    public var outputFeatures: Int { weight.shape[0] }

    public func callAsFunction(_ input: Tensor) -> Tensor {
        Tensor.traced([input], module: self) {
            product(input)
        } record: { recorder, operands, _ in
            (.linear(GraphOperation.Linear(weight: recorder.name(of: weight, module: self),
                                           bias: bias.map { recorder.name(of: $0, module: self) })), operands)
        }
    }

    private func product(_ input: Tensor) -> Tensor {
        let autocast = Autocast.current
        let product = autocast.precision == .bf16
            ? Tensor.linearBFloat16(input, weight: weight.value, backend: autocast.backend)
            : Tensor.matmul(input, weight.value, transposeB: true)
        MultiplyAccumulateCounter.record(product.count * inputFeatures)
        return bias.map { product + $0.value } ?? product
    }
}
