import Kernels
import Tensors

/// The multi-proxy head's GEMM bound: the time of its three matrix products alone, at its shapes
/// and through the same `PackedGEMM` it calls, so `mpw bench head` can say how far the whole head
/// is from the arithmetic it cannot avoid.
///
/// For B·HW feature vectors of d channels and K·M proxies: S = P·Xᵀ, (K·M) x (B·HW) over d, in
/// the forward pass; dL/dX = Gᵀ·P, (B·HW) x d over K·M, and dL/dP = G·X, (K·M) x d over B·HW, in
/// the backward pass (G has the layout of S).
struct HeadGEMMBound {
    let forwardSeconds: Double
    let backwardSeconds: Double

    init(vectors: Int, dimension: Int, proxies: Int, repetitions: Int, generator: inout RandomGenerator) {
        let x = Tensor.randomUniform([vectors, dimension], generator: &generator)
        let p = Tensor.randomUniform([proxies, dimension], generator: &generator)
        let g = Tensor.randomUniform([proxies, vectors], generator: &generator)
        let s = Tensor(uninitializedShape: [proxies, vectors])
        let dx = Tensor(uninitializedShape: [vectors, dimension]), dp = Tensor(uninitializedShape: [proxies, dimension])
        let (xs, ps, gs) = (x.storage.pointer, p.storage.pointer, g.storage.pointer)
        forwardSeconds = Timing.median(warmup: 3, minimumRuns: repetitions, minimumSeconds: 0) {
            PackedGEMM.multiply(m: proxies, n: vectors, k: dimension, a: ps, transposeA: false, b: xs, transposeB: true,
                                c: s.storage.pointer)
        }
        backwardSeconds = Timing.median(warmup: 3, minimumRuns: repetitions, minimumSeconds: 0) {
            PackedGEMM.multiply(m: vectors, n: dimension, k: proxies, a: gs, transposeA: true, b: ps, transposeB: false,
                                c: dx.storage.pointer)
            PackedGEMM.multiply(m: proxies, n: dimension, k: vectors, a: gs, transposeA: false, b: xs, transposeB: false,
                                c: dp.storage.pointer)
        }
    }

    /// Multiply-adds of the three products: 3 · (K·M) · (B·HW) · d.
    static func multiplyAccumulates(vectors: Int, dimension: Int, proxies: Int) -> Int { 3 * vectors * dimension * proxies }
}
