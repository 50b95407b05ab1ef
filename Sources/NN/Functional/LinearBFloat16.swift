import Kernels
import Tensors

extension Tensor {
    /// x·Wᵀ for x of shape (..., in) and W of shape (out, in) in mixed precision, as in an
    /// `Autocast` bf16 scope: both operands rounded to bf16, float32 accumulation, float32 output
    /// and gradients. The backward pass keeps the bf16 copies only.
    public static func linearBFloat16(_ input: Tensor, weight: Tensor, backend: Convolution.Backend = Autocast.current.backend) -> Tensor {
        precondition(weight.rank == 2 && input.rank >= 1 && input.shape.last == weight.shape[1],
                     "linear: input \(Shape.describe(input.shape)) does not match weight \(Shape.describe(weight.shape))")
        let (outputs, features) = (weight.shape[0], weight.shape[1])
        let rows = features > 0 ? input.count / features : 0
        let x = input.contiguous(), w = weight.contiguous()
        let roundedInput = BFloat16Buffer(rounding: x.storage.pointer, count: x.count)
        let roundedWeight = BFloat16Buffer(rounding: w.storage.pointer, count: w.count)
        let output = Tensor(uninitializedShape: Array(input.shape.dropLast()) + [outputs])
        BFloat16GEMM.multiply(m: rows, n: outputs, k: features, a: roundedInput.pointer, transposeA: false,
                              b: roundedWeight.pointer, transposeB: true, c: output.storage.pointer, backend: backend)
        let inputShape = input.shape, weightShape = weight.shape
        return .differentiable("linear.bf16", inputs: [input, weight], output: output) { gradient, needs in
            let g = gradient.contiguous()
            let roundedGradient = BFloat16Buffer(rounding: g.storage.pointer, count: g.count)
            var gradientInput: Tensor?, gradientWeight: Tensor?
            if needs[0] {
                let result = Tensor(uninitializedShape: inputShape)
                BFloat16GEMM.multiply(m: rows, n: features, k: outputs, a: roundedGradient.pointer, transposeA: false,
                                      b: roundedWeight.pointer, transposeB: false, c: result.storage.pointer, backend: backend)
                gradientInput = result
            }
            if needs[1] {
                let result = Tensor(uninitializedShape: weightShape)
                BFloat16GEMM.multiply(m: outputs, n: features, k: rows, a: roundedGradient.pointer, transposeA: true,
                                      b: roundedInput.pointer, transposeB: false, c: result.storage.pointer, backend: backend)
                gradientWeight = result
            }
            return [gradientInput, gradientWeight]
        }
    }
}
