import Kernels

extension UnrolledGradient {
    /// One backward iteration for m = 4 in a single pass over the rows: it recomputes
    /// alpha_t = mu / (K beta_{t-1}) and 1 / u_t, forms alphabar = alphabar_t + K vbar and
    /// ubar = -alphabar o alpha_t / u_t, updates Kbar += alpha_t vbar^T + ubar beta_{t-1}^T and
    /// accumulates betabar_{t-1} = K^T ubar in four vector registers, reading K and Kbar once
    /// (the generic path takes three passes). Returns betabar_{t-1}.
    static func adjointStepFourColumns(kernel: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                                       previousBeta: UnsafePointer<Float>, vBar: UnsafePointer<Float>,
                                       alphaBar: UnsafePointer<Float>, kernelBar: UnsafeMutablePointer<Float>,
                                       scratch: SinkhornScratch) -> SIMD4<Float> {
        let paddedRows = scratch.paddedRows
        let column0 = kernel, column1 = kernel + paddedRows, column2 = kernel + 2 * paddedRows, column3 = kernel + 3 * paddedRows
        let bar0 = kernelBar, bar1 = kernelBar + paddedRows, bar2 = kernelBar + 2 * paddedRows, bar3 = kernelBar + 3 * paddedRows
        let beta0 = FloatVector(repeating: previousBeta[0]), beta1 = FloatVector(repeating: previousBeta[1])
        let beta2 = FloatVector(repeating: previousBeta[2]), beta3 = FloatVector(repeating: previousBeta[3])
        let adjoint0 = FloatVector(repeating: vBar[0]), adjoint1 = FloatVector(repeating: vBar[1])
        let adjoint2 = FloatVector(repeating: vBar[2]), adjoint3 = FloatVector(repeating: vBar[3])
        var dot0 = FloatVector(), dot1 = FloatVector(), dot2 = FloatVector(), dot3 = FloatVector()
        var start = 0
        while start < paddedRows {
            let k0 = VectorLoops.load(column0 + start), k1 = VectorLoops.load(column1 + start)
            let k2 = VectorLoops.load(column2 + start), k3 = VectorLoops.load(column3 + start)
            let inverseU = 1 / ((k0 * beta0).addingProduct(k1, beta1) + (k2 * beta2).addingProduct(k3, beta3))
            let alpha = VectorLoops.load(mu + start) * inverseU
            let adjointAlpha = VectorLoops.load(alphaBar + start)
                + ((k0 * adjoint0).addingProduct(k1, adjoint1) + (k2 * adjoint2).addingProduct(k3, adjoint3))
            let adjointU = -adjointAlpha * alpha * inverseU
            VectorLoops.store(VectorLoops.load(bar0 + start).addingProduct(alpha, adjoint0).addingProduct(adjointU, beta0), bar0 + start)
            VectorLoops.store(VectorLoops.load(bar1 + start).addingProduct(alpha, adjoint1).addingProduct(adjointU, beta1), bar1 + start)
            VectorLoops.store(VectorLoops.load(bar2 + start).addingProduct(alpha, adjoint2).addingProduct(adjointU, beta2), bar2 + start)
            VectorLoops.store(VectorLoops.load(bar3 + start).addingProduct(alpha, adjoint3).addingProduct(adjointU, beta3), bar3 + start)
            dot0 = dot0.addingProduct(k0, adjointU)
            dot1 = dot1.addingProduct(k1, adjointU)
            dot2 = dot2.addingProduct(k2, adjointU)
            dot3 = dot3.addingProduct(k3, adjointU)
            start += FloatVector.scalarCount
        }
        return SIMD4(dot0.pairwiseSum, dot1.pairwiseSum, dot2.pairwiseSum, dot3.pairwiseSum)
    }
}
