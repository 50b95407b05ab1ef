import Kernels
import Tensors

extension Tensor {
    /// sign(x)·√(|x| + ε): the signed square root of bilinear pooling (Lin et al. 2015). ε keeps
    /// the derivative, 1 / (2√(|x| + ε)), finite at 0 (at most 1 / (2√ε) ≈ 158 for ε = 1e-5).
    public func signedSquareRoot(epsilon: Float = 1e-5) -> Tensor {
        let output = mapped { x in
            var root = (VectorMath.abs(x) + epsilon).squareRoot()
            root.replace(with: -root, where: x .< 0)
            return root
        }
        return .differentiable("signedSquareRoot", input: self, output: output) { g in
            g.zipped(self) { g, x in g * 0.5 / (VectorMath.abs(x) + epsilon).squareRoot() }
        }
    }

    /// Each row (last axis flattened per sample) divided by its L2 norm, max(‖z‖, ε).
    public func l2NormalizedRows(epsilon: Float = 1e-12) -> Tensor {
        let rows = reshaped([shape[0], -1])
        let norms = VectorMath.maximumNorm(rows.squared().sum(axis: 1, keepDims: true), epsilon: epsilon)
        return (rows / norms).reshaped(shape)
    }
}

extension VectorMath {
    /// max(√s, ε) for a tensor of squared norms, differentiable (zero gradient where clamped).
    static func maximumNorm(_ squaredNorms: Tensor, epsilon: Float) -> Tensor {
        Tensor.maximum(squaredNorms.sqrt(), Tensor(epsilon))
    }
}
