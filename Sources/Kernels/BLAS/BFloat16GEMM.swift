/// Mixed-precision matrix products: C (m x n, float32) = op(A) · op(B) with A and B in bf16 and
/// float32 accumulation, on contiguous row-major operands (A stored m x k, or k x m when
/// transposed, and likewise B). oneDNN's bf16 matmul on CPUs with native bf16; the portable
/// engine widens the operands and calls sgemm (the same products: bf16 products are exact).
public enum BFloat16GEMM {
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<BFloat16.Bits>, transposeA: Bool,
                                b: UnsafePointer<BFloat16.Bits>, transposeB: Bool, c: UnsafeMutablePointer<Float>,
                                backend: Convolution.Backend = Convolution.defaultBackend) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            c.initialize(repeating: 0, count: m * n)
            return
        }
        switch backend {
        case .oneDNN:
            #if canImport(CDNNL)
            precondition(CPUFeatures.nativeBFloat16, "BFloat16GEMM: bf16 on oneDNN needs \(CPUFeatures.missingBFloat16Feature)")
            OneDNNMatmul.primitive(for: .init(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB, bfloat16Inputs: true))
                .execute(a: a, b: b, c: c)
            #else
            preconditionFailure("BFloat16GEMM: oneDNN is not available on this platform")
            #endif
        case .gemm:
            let wideA = AlignedMemory.allocate(count: m * k), wideB = AlignedMemory.allocate(count: k * n)
            defer {
                AlignedMemory.release(wideA, count: m * k)
                AlignedMemory.release(wideB, count: k * n)
            }
            BFloat16.widen(a, into: wideA, count: m * k)
            BFloat16.widen(b, into: wideB, count: k * n)
            BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                       a: wideA, lda: transposeA ? m : k, b: wideB, ldb: transposeB ? k : n, c: c, ldc: n)
        }
    }
}
