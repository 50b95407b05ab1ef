import Kernels
import ModelGraph

extension Tensor {
    /// f applied to every element, keeping shape and memory format. Not recorded by autodiff.
    @inlinable
    public func mapped(_ f: (FloatVector) -> FloatVector) -> Tensor {
        let result = Tensor(uninitializedShape: shape, format: format)
        VectorLoops.map(storage.pointer, result.storage.pointer, count: count, f)
        return result
    }

    /// f applied elementwise to two tensors of the same shape and format. Not recorded by autodiff.
    @inlinable
    public func zipped(_ other: Tensor, _ f: (FloatVector, FloatVector) -> FloatVector) -> Tensor {
        precondition(shape == other.shape && format == other.format,
                     "zipped: shapes \(Shape.describe(shape)) and \(Shape.describe(other.shape)) (or formats) differ")
        let result = Tensor(uninitializedShape: shape, format: format)
        VectorLoops.zip(storage.pointer, other.storage.pointer, result.storage.pointer, count: count, f)
        return result
    }

    @inlinable
    func zipped3(_ b: Tensor, _ c: Tensor, _ f: (FloatVector, FloatVector, FloatVector) -> FloatVector) -> Tensor {
        precondition(shape == b.shape && shape == c.shape && format == b.format && format == c.format,
                     "zipped3: operand shapes or formats differ")
        let result = Tensor(uninitializedShape: shape, format: format)
        VectorLoops.zip3(storage.pointer, b.storage.pointer, c.storage.pointer, result.storage.pointer, count: count, f)
        return result
    }

    public static prefix func - (x: Tensor) -> Tensor {
        .differentiable("negated", input: x, output: x.mapped { -$0 }) { -$0 }
    }

    public func exp() -> Tensor {
        let y = mapped(VectorMath.exp)
        return .differentiable("exp", input: self, output: y) { g in g.zipped(y) { $0 * $1 } }
    }

    public func log() -> Tensor {
        .differentiable("log", input: self, output: mapped(VectorMath.log)) { g in g.zipped(self) { $0 / $1 } }
    }

    public func sqrt() -> Tensor {
        let y = mapped { $0.squareRoot() }
        return .differentiable("sqrt", input: self, output: y) { g in g.zipped(y) { 0.5 * $0 / $1 } }
    }

    /// 1 / sqrt(x).
    public func rsqrt() -> Tensor {
        let y = mapped { 1 / $0.squareRoot() }
        return .differentiable("rsqrt", input: self, output: y) { g in g.zipped(y) { -0.5 * $0 * $1 * $1 * $1 } }
    }

    public func abs() -> Tensor {
        .differentiable("abs", input: self, output: mapped(VectorMath.abs)) { g in
            g.zipped(self) { g, x in
                var sign = FloatVector(repeating: 0)
                sign.replace(with: 1, where: x .> 0)
                sign.replace(with: -1, where: x .< 0)
                return g * sign
            }
        }
    }

    public func relu() -> Tensor {
        .traced(.relu, [self]) {
            .differentiable("relu", input: self, output: mapped { VectorMath.maximum($0, FloatVector()) }) { g in
                g.zipped(self) { g, x in g.replacing(with: 0, where: x .<= 0) }
            }
        }
    }

    public func sigmoid() -> Tensor {
        let y = mapped(VectorMath.sigmoid)
        return .differentiable("sigmoid", input: self, output: y) { g in g.zipped(y) { $0 * $1 * (1 - $1) } }
    }

    public func tanh() -> Tensor {
        let y = mapped(VectorMath.tanh)
        return .differentiable("tanh", input: self, output: y) { g in g.zipped(y) { $0 * (1 - $1 * $1) } }
    }

    public func squared() -> Tensor {
        .differentiable("squared", input: self, output: mapped { $0 * $0 }) { g in g.zipped(self) { 2 * $0 * $1 } }
    }

    /// Elements limited to [lower, upper]; the gradient passes where lower <= x <= upper.
    public func clamped(lower: Float = -.infinity, upper: Float = .infinity) -> Tensor {
        precondition(lower <= upper, "clamped: lower bound \(lower) exceeds upper bound \(upper)")
        let low = FloatVector(repeating: lower), high = FloatVector(repeating: upper)
        let y = mapped { VectorMath.minimum(VectorMath.maximum($0, low), high) }
        return .differentiable("clamped", input: self, output: y) { g in
            g.zipped(self) { g, x in g.replacing(with: 0, where: (x .< low) .| (x .> high)) }
        }
    }

    /// x raised to a constant power (negative bases allowed for integral exponents).
    public func pow(_ exponent: Float) -> Tensor {
        let p = FloatVector(repeating: exponent)
        let y = mapped { VectorMath.pow($0, p) }
        return .differentiable("pow", input: self, output: y) { g in
            g.zipped(self) { g, x in g * exponent * VectorMath.pow(x, p - 1) }
        }
    }
}
