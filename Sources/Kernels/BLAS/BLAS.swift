#if canImport(Accelerate)
import Accelerate
#elseif canImport(COpenBLAS)
import COpenBLAS
#endif

/// Row-major single-precision matrix products, straight to the platform BLAS: OpenBLAS's cblas on
/// Linux, Accelerate on Apple platforms. Transposed operands are passed as flags, never copied.
public enum BLAS {
    /// C = alpha * op(A) * op(B) + beta * C, with op(A) of shape (m, k) and op(B) of shape (k, n).
    /// Leading dimensions are the row strides of the matrices as stored.
    @inlinable
    public static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            scale(c, rows: m, columns: n, stride: ldc, by: beta)
            return
        }
        #if canImport(Accelerate)
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    __LAPACK_int(m), __LAPACK_int(n), __LAPACK_int(k), alpha, a, __LAPACK_int(lda), b, __LAPACK_int(ldb),
                    beta, c, __LAPACK_int(ldc))
        #else
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
        #endif
    }

    /// An empty inner dimension leaves C = beta * C, which BLAS implementations handle unevenly.
    @usableFromInline
    static func scale(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int, by beta: Float) {
        for row in 0..<rows {
            let line = c + row * stride
            for column in 0..<columns { line[column] = beta == 0 ? 0 : line[column] * beta }
        }
    }
}
