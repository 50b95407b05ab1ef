import Kernels

/// Hands a finished plan back to the caller: the row-major write and the marginal error, shared
/// by both domains, and the kernel domain's dual potentials.
enum PlanOutput {
    /// Copies the column-major padded `planColumns` into `plan` and returns
    /// ||P 1 - mu||_1 + ||P^T 1 - nu||_1. Padding rows must hold 0 in both `planColumns` and
    /// `sourceMass`.
    static func write(_ planColumns: UnsafePointer<Float>, scratch: SinkhornScratch,
                      sourceMass: UnsafePointer<Float>, targetMass: UnsafePointer<Float>,
                      into plan: MutableMatrixView) -> Float {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        var rowError = FloatVector()
        var start = 0
        while start < paddedRows {
            var rowSum = FloatVector()
            for column in 0..<scratch.columns {
                rowSum += VectorLoops.load(planColumns + column * paddedRows + start)
            }
            rowError += VectorMath.abs(rowSum - VectorLoops.load(sourceMass + start))
            start += width
        }
        var error = rowError.pairwiseSum
        for column in 0..<scratch.columns {
            var columnSum = FloatVector()
            start = 0
            while start < paddedRows {
                columnSum += VectorLoops.load(planColumns + column * paddedRows + start)
                start += width
            }
            error += abs(columnSum.pairwiseSum - targetMass[column])
        }
        CostLoading.storeRows(planColumns, rows: scratch.rows, columns: scratch.columns, paddedRows: paddedRows, into: plan)
        return error
    }

    /// f_i = lambda log alpha_i + shift and g_j = lambda log beta_j from kernel-domain scalings,
    /// so that plan_ij = exp((f_i + g_j - C_ij) / lambda) with the caller's unshifted cost.
    static func potentials(alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>, scratch: SinkhornScratch,
                           lambda: Float, shift: Float,
                           source: UnsafeMutablePointer<Float>?, target: UnsafeMutablePointer<Float>?) {
        if let source { TransportKernels.active.logAffine(alpha, count: scratch.rows, scale: lambda, shift: shift, into: source) }
        if let target { TransportKernels.active.logAffine(beta, count: scratch.columns, scale: lambda, shift: 0, into: target) }
    }
}
