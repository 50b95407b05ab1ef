import Kernels

extension KernelSinkhorn {
    /// Algorithm 1 specialised to m = 4, the multi-proxy head's shape (n = H*W rows, 4 proxies).
    ///
    /// With four columns beta is four scalars held in broadcast registers, and one pass over the
    /// rows (16 per vector) does the whole iteration: for each row block it forms K beta, the new
    /// alpha, the change of alpha, and accumulates the four dot products of K^T alpha in four
    /// vector registers, so K is read once per iteration instead of twice and only six
    /// horizontal sums remain per iteration. The iterates are `iterate`'s up to the order of
    /// float additions in K beta. With threshold 0 no stop can happen, so the change of alpha is
    /// not measured at all (a quarter of the vector work of an iteration).
    static func iterateFourColumns(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                                   mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                                   alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                                   threshold: Float, maximumIterations: Int,
                                   history: UnsafeMutablePointer<Float>?) -> (iterations: Int, converged: Bool) {
        if threshold > 0 {
            return fourColumnLoop(kernel: kernel, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                                  threshold: threshold, maximumIterations: maximumIterations, history: history,
                                  measuresChange: true)
        }
        return fourColumnLoop(kernel: kernel, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                              threshold: threshold, maximumIterations: maximumIterations, history: history,
                              measuresChange: false)
    }

    @inline(__always)
    private static func fourColumnLoop(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                                       mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                                       alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                                       threshold: Float, maximumIterations: Int,
                                       history: UnsafeMutablePointer<Float>?,
                                       measuresChange: Bool) -> (iterations: Int, converged: Bool) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        let column0 = kernel, column1 = kernel + paddedRows, column2 = kernel + 2 * paddedRows, column3 = kernel + 3 * paddedRows
        let targetMass = SIMD4<Float>(nu[0], nu[1], nu[2], nu[3])
        var scaling = SIMD4<Float>(repeating: 1)
        alpha.initialize(repeating: 0, count: paddedRows)
        var result = (iterations: maximumIterations, converged: false)
        for iteration in 1...maximumIterations {
            let beta0 = FloatVector(repeating: scaling[0]), beta1 = FloatVector(repeating: scaling[1])
            let beta2 = FloatVector(repeating: scaling[2]), beta3 = FloatVector(repeating: scaling[3])
            var dot0 = FloatVector(), dot1 = FloatVector(), dot2 = FloatVector(), dot3 = FloatVector()
            var change = FloatVector(), size = FloatVector()
            var start = 0
            while start < paddedRows {
                let k0 = VectorLoops.load(column0 + start), k1 = VectorLoops.load(column1 + start)
                let k2 = VectorLoops.load(column2 + start), k3 = VectorLoops.load(column3 + start)
                let kernelTimesBeta = (k0 * beta0).addingProduct(k1, beta1) + (k2 * beta2).addingProduct(k3, beta3)
                let updated = VectorLoops.load(mu + start) / kernelTimesBeta
                if measuresChange {
                    change += VectorMath.abs(updated - VectorLoops.load(alpha + start))
                    size += updated
                }
                VectorLoops.store(updated, alpha + start)
                dot0 = dot0.addingProduct(k0, updated)
                dot1 = dot1.addingProduct(k1, updated)
                dot2 = dot2.addingProduct(k2, updated)
                dot3 = dot3.addingProduct(k3, updated)
                start += width
            }
            scaling = targetMass / SIMD4<Float>(dot0.pairwiseSum, dot1.pairwiseSum, dot2.pairwiseSum, dot3.pairwiseSum)
            if let history {
                let slot = history + (iteration - 1) * 4
                slot[0] = scaling[0]; slot[1] = scaling[1]; slot[2] = scaling[2]; slot[3] = scaling[3]
            }
            if measuresChange && iteration >= 2 && change.pairwiseSum < threshold * size.pairwiseSum {
                result = (iteration, true)
                break
            }
        }
        beta[0] = scaling[0]; beta[1] = scaling[1]; beta[2] = scaling[2]; beta[3] = scaling[3]
        return result
    }
}
