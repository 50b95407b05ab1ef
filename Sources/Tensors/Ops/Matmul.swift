import Kernels

extension Tensor {
    /// Matrix product op(a) · op(b), where op transposes when asked, through `cblas_sgemm` with
    /// no copies for transposed operands. Shapes: (m, k)·(k, n), or batched (B, m, k)·(B, k, n),
    /// with a rank-2 operand shared by every batch entry.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false) -> Tensor {
        let output = product(a.contiguous(), transposeA, b.contiguous(), transposeB)
        return .differentiable("matmul", inputs: [a, b], output: output) { g, needs in
            let a = a.contiguous(), b = b.contiguous()
            var gradA: Tensor?, gradB: Tensor?
            if needs[0] {
                gradA = transposeA ? product(b, transposeB, g, true) : product(g, false, b, !transposeB)
                if gradA!.shape != a.shape { gradA = gradA!.summed(toShape: a.shape) }
            }
            if needs[1] {
                gradB = transposeB ? product(g, true, a, transposeA) : product(a, !transposeA, g, false)
                if gradB!.shape != b.shape { gradB = gradB!.summed(toShape: b.shape) }
            }
            return [gradA, gradB]
        }
    }

    /// The forward product on contiguous operands, without autodiff.
    static func product(_ a: Tensor, _ transposeA: Bool, _ b: Tensor, _ transposeB: Bool) -> Tensor {
        precondition((a.rank == 2 || a.rank == 3) && (b.rank == 2 || b.rank == 3),
                     "matmul: operands must have rank 2 or 3, got \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
        let batchA = a.rank == 3 ? a.shape[0] : 1, batchB = b.rank == 3 ? b.shape[0] : 1
        precondition(a.rank == 2 || b.rank == 2 || batchA == batchB,
                     "matmul: batch sizes differ: \(Shape.describe(a.shape)) and \(Shape.describe(b.shape))")
        let rowsA = a.shape[a.rank - 2], columnsA = a.shape[a.rank - 1]
        let rowsB = b.shape[b.rank - 2], columnsB = b.shape[b.rank - 1]
        let (m, k) = transposeA ? (columnsA, rowsA) : (rowsA, columnsA)
        let (kB, n) = transposeB ? (columnsB, rowsB) : (rowsB, columnsB)
        precondition(k == kB, "matmul: inner dimensions differ: \(Shape.describe(a.shape))\(transposeA ? "ᵀ" : "") · \(Shape.describe(b.shape))\(transposeB ? "ᵀ" : "")")
        let batch = Swift.max(batchA, batchB)
        let outputShape = (a.rank == 3 || b.rank == 3) ? [batch, m, n] : [m, n]
        let result = Tensor(uninitializedShape: outputShape)
        let pa = a.storage.pointer, pb = b.storage.pointer, pc = result.storage.pointer
        if a.rank == 3 && b.rank == 2 && !transposeA {
            // A stack of row blocks times one matrix is a single tall GEMM.
            BLAS.sgemm(transposeA: false, transposeB: transposeB, m: batch * m, n: n, k: k,
                       a: pa, lda: columnsA, b: pb, ldb: columnsB, c: pc, ldc: n)
            return result
        }
        let strideA = a.rank == 3 ? rowsA * columnsA : 0, strideB = b.rank == 3 ? rowsB * columnsB : 0
        for index in 0..<batch {
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                       a: pa + index * strideA, lda: columnsA, b: pb + index * strideB, ldb: columnsB,
                       c: pc + index * m * n, ldc: n)
        }
        return result
    }
}
