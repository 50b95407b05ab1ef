#if canImport(CDNNL)
import CDNNL
import Synchronization
#endif

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
            OneDNNBFloat16Matmul.primitive(for: .init(m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB))
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

#if canImport(CDNNL)
/// A cached oneDNN bf16 x bf16 -> float32 matmul primitive for one shape and transposition.
final class OneDNNBFloat16Matmul: @unchecked Sendable {
    private static let cache = Mutex<[OneDNNMatmul.Shape: OneDNNBFloat16Matmul]>([:])

    static func primitive(for shape: OneDNNMatmul.Shape) -> OneDNNBFloat16Matmul {
        if let cached = cache.withLock({ $0[shape] }) { return cached }
        let created = OneDNNBFloat16Matmul(shape)
        return cache.withLock { cache in
            if let raced = cache[shape] { return raced }
            cache[shape] = created
            return created
        }
    }

    private let a, b, c: UnsafePointer<dnnl_memory_desc_t>
    private let primitive: OneDNN.Primitive

    private init(_ shape: OneDNNMatmul.Shape) {
        a = OneDNN.descriptor([shape.m, shape.k], shape.transposeA ? dnnl_ba : dnnl_ab, dnnl_bf16)
        b = OneDNN.descriptor([shape.k, shape.n], shape.transposeB ? dnnl_ba : dnnl_ab, dnnl_bf16)
        c = OneDNN.descriptor([shape.m, shape.n], dnnl_ab)
        var description = dnnl_matmul_desc_t()
        OneDNN.check(dnnl_matmul_desc_init(&description, a, b, nil, c), "describing a bf16 \(shape.m)x\(shape.k)·\(shape.k)x\(shape.n) matmul")
        let attributes = OneDNN.userScratchpadAttributes()
        defer { dnnl_primitive_attr_destroy(attributes) }
        var descriptor: dnnl_primitive_desc_t?
        OneDNN.check(dnnl_primitive_desc_create(&descriptor, &description, attributes, OneDNN.engine.handle, nil),
                     "choosing a bf16 matmul implementation")
        primitive = OneDNN.Primitive(descriptor: descriptor!, "bf16 matmul")
    }

    func execute(a pointerA: UnsafePointer<BFloat16.Bits>, b pointerB: UnsafePointer<BFloat16.Bits>, c pointerC: UnsafeMutablePointer<Float>) {
        primitive.execute([(DNNL_ARG_SRC, a, UnsafeRawPointer(pointerA)), (DNNL_ARG_WEIGHTS, b, UnsafeRawPointer(pointerB)),
                           (DNNL_ARG_DST, c, UnsafeRawPointer(pointerC))])
    }
}
#endif
