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

    /// Each sample (everything after the first axis) divided by its L2 norm, max(‖z‖, ε); the
    /// clamp has zero gradient, so an all-zero sample stays zero.
    public func l2NormalizedRows(epsilon: Float = 1e-12) -> Tensor {
        let rows = reshaped([shape[0], -1])
        // Clamping the squared norm (not the norm) keeps the square root's derivative finite.
        let norms = rows.squared().sum(axis: 1, keepDims: true).clamped(lower: epsilon * epsilon).sqrt()
        return (rows / norms).reshaped(shape)
    }
}
