import Kernels
import ModelGraph

extension Tensor {
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        traced(.add, [a, b]) {
            .differentiable("add", inputs: [a, b], output: a.broadcasted(with: b, op: "add", +)) { g, needs in
                [needs[0] ? g.summed(toShape: a.shape) : nil, needs[1] ? g.summed(toShape: b.shape) : nil]
            }
        }
    }

    public static func - (a: Tensor, b: Tensor) -> Tensor {
        .differentiable("subtract", inputs: [a, b], output: a.broadcasted(with: b, op: "subtract", -)) { g, needs in
            [needs[0] ? g.summed(toShape: a.shape) : nil, needs[1] ? (-g).summed(toShape: b.shape) : nil]
        }
    }

    public static func * (a: Tensor, b: Tensor) -> Tensor {
        .differentiable("multiply", inputs: [a, b], output: a.broadcasted(with: b, op: "multiply", *)) { g, needs in
            [needs[0] ? g.broadcasted(with: b, op: "multiply", *).summed(toShape: a.shape) : nil,
             needs[1] ? g.broadcasted(with: a, op: "multiply", *).summed(toShape: b.shape) : nil]
        }
    }

    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let y = a.broadcasted(with: b, op: "divide", /)
        return .differentiable("divide", inputs: [a, b], output: y) { g, needs in
            [needs[0] ? g.broadcasted(with: b, op: "divide", /).summed(toShape: a.shape) : nil,
             needs[1] ? (-(g * y / b).detached()).summed(toShape: b.shape) : nil]
        }
    }

    /// Elementwise maximum, NaN if either operand is; where the operands tie, each gets half the
    /// gradient (as PyTorch).
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let y = a.broadcasted(with: b, op: "maximum") { VectorMath.maximum($0, $1).replacing(with: $1, where: $1 .!= $1) }
        return .differentiable("maximum", inputs: [a, b], output: y) { g, needs in
            let weightA = a.broadcasted(with: b, op: "maximum") { x, y in
                FloatVector(repeating: 0).replacing(with: 1, where: x .> y).replacing(with: 0.5, where: x .== y)
            }
            return [needs[0] ? (g * weightA).summed(toShape: a.shape) : nil,
                    needs[1] ? (g * (1 - weightA)).summed(toShape: b.shape) : nil]
        }
    }

    /// Elementwise minimum, NaN if either operand is; where the operands tie, each gets half the
    /// gradient (as PyTorch).
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let y = a.broadcasted(with: b, op: "minimum") { VectorMath.minimum($0, $1).replacing(with: $1, where: $1 .!= $1) }
        return .differentiable("minimum", inputs: [a, b], output: y) { g, needs in
            let weightA = a.broadcasted(with: b, op: "minimum") { x, y in
                FloatVector(repeating: 0).replacing(with: 1, where: x .< y).replacing(with: 0.5, where: x .== y)
            }
            return [needs[0] ? (g * weightA).summed(toShape: a.shape) : nil,
                    needs[1] ? (g * (1 - weightA)).summed(toShape: b.shape) : nil]
        }
    }

    /// a^b elementwise. d/db is a^b log a, taken as 0 where a = 0.
    public static func pow(_ a: Tensor, _ b: Tensor) -> Tensor {
        let y = a.broadcasted(with: b, op: "pow") { VectorMath.pow($0, $1) }
        return .differentiable("pow", inputs: [a, b], output: y) { g, needs in
            let da = needs[0] ? (g * a.broadcasted(with: b, op: "pow") { x, p in p * VectorMath.pow(x, p - 1) }).summed(toShape: a.shape) : nil
            let db = needs[1] ? (g * y.zipped(a.expanded(to: y.shape).converted(to: y.format)) { y, x in
                (y * VectorMath.log(x)).replacing(with: 0, where: x .== 0)
            }).summed(toShape: b.shape) : nil
            return [da, db]
        }
    }

    // Scalar forms.
    public static func + (a: Tensor, b: Float) -> Tensor {
        .differentiable("add", input: a, output: a.mapped { $0 + b }) { $0 }
    }
    public static func + (a: Float, b: Tensor) -> Tensor { b + a }
    public static func - (a: Tensor, b: Float) -> Tensor { a + (-b) }
    public static func - (a: Float, b: Tensor) -> Tensor {
        .differentiable("subtract", input: b, output: b.mapped { a - $0 }) { -$0 }
    }
    public static func * (a: Tensor, b: Float) -> Tensor {
        .differentiable("multiply", input: a, output: a.mapped { $0 * b }) { g in g.mapped { $0 * b } }
    }
    public static func * (a: Float, b: Tensor) -> Tensor { b * a }
    public static func / (a: Tensor, b: Float) -> Tensor { a * (1 / b) }
    public static func / (a: Float, b: Tensor) -> Tensor {
        let y = b.mapped { a / $0 }
        return .differentiable("divide", input: b, output: y) { g in g.zipped3(y, b) { g, y, x in -g * y / x } }
    }

    /// a += b in place where the storage is not shared (gradient accumulation), else a = a + b.
    public mutating func addInPlace(_ other: Tensor) {
        precondition(shape == other.shape, "addInPlace: shapes \(Shape.describe(shape)) and \(Shape.describe(other.shape)) differ")
        let operand = other.format == format ? other : other.converted(to: format)
        if node == nil, isKnownUniquelyReferenced(&storage) {
            VectorLoops.accumulate(operand.storage.pointer, into: storage.pointer, count: count)
        } else {
            self = self + operand
        }
    }
}
