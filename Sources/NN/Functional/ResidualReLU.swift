import Kernels
import ModelGraph
import Tensors

extension Tensor {
    /// max(a + b, 0) in one pass: the end of every residual block. Both operands must share shape
    /// and memory format (they do inside a block); the backward pass reuses the output as mask.
    public static func residualReLU(_ a: Tensor, _ b: Tensor) -> Tensor {
        traced([a, b]) {
            summedAndRectified(a, b)
        } record: { recorder, operands, result in
            let sum = recorder.newValue(shape: result.shape)
            recorder.append(.add, inputs: operands, output: sum, module: nil)
            return (.relu, [sum])
        }
    }

    private static func summedAndRectified(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape == b.shape, "residualReLU: shapes \(Shape.describe(a.shape)) and \(Shape.describe(b.shape)) differ")
        let right = b.converted(to: a.format)
        let output = a.zipped(right) { VectorMath.maximum($0 + $1, FloatVector()) }
        return .differentiable("residualReLU", inputs: [a, right], output: output) { g, needs in
            let masked = g.converted(to: output.format).zipped(output) { g, y in g.replacing(with: 0, where: y .<= 0) }
            return [needs[0] ? masked : nil, needs[1] ? masked : nil]
        }
    }
}
