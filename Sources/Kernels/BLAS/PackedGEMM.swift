#if canImport(CDNNL)
import CDNNL
import Synchronization
#endif

/// Matrix products for fused ops, on contiguous row-major operands: oneDNN's brgemm matmul where
/// it is available, cblas_sgemm elsewhere.
///
/// The multi-proxy head multiplies a 400 x 64 matrix by a 64 x 8192 one and the like: an inner
/// or outer dimension of 64 that OpenBLAS packs poorly (120-140 GFLOP/s here). oneDNN's brgemm
/// kernels run those shapes 20-35% faster. General `Tensor.matmul` stays on cblas_sgemm.
public enum PackedGEMM {
    /// C (m x n) = op(A) · op(B), with op(A) m x k and op(B) k x n; A is stored (m x k), or
    /// (k x m) when transposed, and likewise B. No leading-dimension padding.
    public static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, transposeA: Bool,
                                b: UnsafePointer<Float>, transposeB: Bool, c: UnsafeMutablePointer<Float>) {
        #if canImport(CDNNL)
        if m > 0, n > 0, k > 0 {
            OneDNNMatmul.primitive(for: .init(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB))
                .execute(a: a, b: b, c: c)
            return
        }
        #endif
        BLAS.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                   a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, c: c, ldc: n)
    }
}

#if canImport(CDNNL)
/// A cached oneDNN matmul primitive for one shape, transposition and input type: float32 x
/// float32, or bf16 x bf16 (`BFloat16GEMM`), both with float32 accumulation and output.
final class OneDNNMatmul: @unchecked Sendable {
    struct Shape: Hashable {
        let m, n, k: Int
        let transposeA, transposeB: Bool
        /// The type of A and B: float32 or bf16.
        var bfloat16Inputs = false
    }

    private static let cache = Mutex<[Shape: OneDNNMatmul]>([:])

    static func primitive(for shape: Shape) -> OneDNNMatmul {
        if let cached = cache.withLock({ $0[shape] }) { return cached }
        let created = OneDNNMatmul(shape)
        return cache.withLock { cache in
            if let raced = cache[shape] { return raced }
            cache[shape] = created
            return created
        }
    }

    private let a, b, c: UnsafePointer<dnnl_memory_desc_t>
    private let primitive: OneDNN.Primitive

    private init(_ shape: Shape) {
        let type = shape.bfloat16Inputs ? dnnl_bf16 : dnnl_f32, label = shape.bfloat16Inputs ? "bf16 " : ""
        a = OneDNN.descriptor([shape.m, shape.k], shape.transposeA ? dnnl_ba : dnnl_ab, type)
        b = OneDNN.descriptor([shape.k, shape.n], shape.transposeB ? dnnl_ba : dnnl_ab, type)
        c = OneDNN.descriptor([shape.m, shape.n], dnnl_ab)
        var description = dnnl_matmul_desc_t()
        OneDNN.check(dnnl_matmul_desc_init(&description, a, b, nil, c), "describing a \(label)\(shape.m)x\(shape.k)·\(shape.k)x\(shape.n) matmul")
        let attributes = OneDNN.userScratchpadAttributes()
        defer { dnnl_primitive_attr_destroy(attributes) }
        var descriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&descriptor, &description, attributes, OneDNN.engine.handle, nil),
                     "choosing a \(label)matmul implementation")
        primitive = OneDNN.Primitive(descriptor: descriptor!, "\(label)matmul")
    }

    /// A and B hold values of the shape's input type; C is float32.
    func execute(a pointerA: UnsafeRawPointer, b pointerB: UnsafeRawPointer, c pointerC: UnsafeMutablePointer<Float>) {
        primitive.execute([(DNNL_ARG_SRC, a, pointerA), (DNNL_ARG_WEIGHTS, b, pointerB), (DNNL_ARG_DST, c, UnsafeRawPointer(pointerC))])
    }
}
#endif
