import Kernels

/// The gradient of the exact entropic plan with respect to the cost, by implicit differentiation
/// of the marginal constraints.
///
/// At the solution P_ij = exp((f_i + g_j - C_ij) / lambda) with P 1 = mu and P^T 1 = nu. The
/// Jacobian of those constraints in (f, g) is (1 / lambda) [[diag(rho), P], [P^T, diag(kappa)]]
/// (rho, kappa the row and column sums of P), singular only along the gauge (f + s, g - s). For
/// an upstream Pbar = dL/dP, with W = Pbar o P, r = W 1 and c = W^T 1, the adjoint system is
///
///     diag(rho) x + P y = r,    P^T x + diag(kappa) y = c,
///
/// and then dL/dC_ij = P_ij (x_i + y_j - Pbar_ij) / lambda, which does not depend on the gauge.
/// Eliminating x = (r - P y) / rho leaves the m x m Schur complement
///
///     S y = c - P^T (r / rho),   S = diag(kappa) - P^T diag(1 / rho) P,
///
/// a weighted graph Laplacian over the m targets (S 1 = 0) with off-diagonal entries
/// -sum_i P_ij P_ik / rho_i. Its diagonal is formed as minus the sum of its off-diagonal row,
/// which avoids the cancellation of kappa_j - sum_i P_ij^2 / rho_i. Fixing y_{m-1} = 0 leaves an
/// (m-1) x (m-1) symmetric positive definite system, solved by Cholesky in double precision.
/// A pivot that vanishes (a target disconnected from the others because plan entries
/// underflowed) gets its unknown set to 0, the minimum-norm choice for that component.
enum ImplicitGradient {
    static func costGradient(plan: MatrixView, lambda: Float, planGradient: MatrixView,
                             costGradient: MutableMatrixView, scratch: SinkhornScratch) {
        let width = FloatVector.scalarCount
        let rows = scratch.rows, paddedRows = scratch.paddedRows, columns = scratch.columns
        let planColumns = scratch.matrix(0), upstream = scratch.matrix(1), result = scratch.matrix(2)
        CostLoading.loadColumns(plan, rows: rows, columns: columns, paddedRows: paddedRows, padding: 0, into: planColumns)
        CostLoading.loadColumns(planGradient, rows: rows, columns: columns, paddedRows: paddedRows, padding: 0, into: upstream)
        let inverseRowSum = scratch.rowVector(0), rowRatio = scratch.rowVector(1), rowAdjoint = scratch.rowVector(2)
        let right = scratch.columnVector(0), columnAdjoint = scratch.columnVector(1)

        // rho, r / rho and the right-hand side c - P^T (r / rho).
        var start = 0
        while start < paddedRows {
            var rowSum = FloatVector(), weightedSum = FloatVector()
            for column in 0..<columns {
                let entry = VectorLoops.load(planColumns + column * paddedRows + start)
                rowSum += entry
                weightedSum = VectorLoops.multiplyAdd(weightedSum, entry, VectorLoops.load(upstream + column * paddedRows + start))
            }
            var inverse = 1 / rowSum
            inverse.replace(with: 0, where: rowSum .<= 0)
            VectorLoops.store(inverse, inverseRowSum + start)
            VectorLoops.store(weightedSum * inverse, rowRatio + start)
            start += width
        }
        for column in 0..<columns {
            let line = planColumns + column * paddedRows, gradientLine = upstream + column * paddedRows
            var total = FloatVector()
            start = 0
            while start < paddedRows {
                let entry = VectorLoops.load(line + start)
                total = VectorLoops.multiplyAdd(total, entry, VectorLoops.load(gradientLine + start) - VectorLoops.load(rowRatio + start))
                start += width
            }
            right[column] = total.pairwiseSum
        }

        solveSchurComplement(planColumns: planColumns, inverseRowSum: inverseRowSum, right: right,
                             scratch: scratch, into: columnAdjoint)

        // x = (r - P y) / rho, then dL/dC = P o (x 1^T + 1 y^T - Pbar) / lambda.
        start = 0
        while start < paddedRows {
            var planTimesY = FloatVector()
            for column in 0..<columns {
                planTimesY = VectorLoops.multiplyAdd(planTimesY, VectorLoops.load(planColumns + column * paddedRows + start),
                                                     FloatVector(repeating: columnAdjoint[column]))
            }
            VectorLoops.store(VectorLoops.load(rowRatio + start) - planTimesY * VectorLoops.load(inverseRowSum + start),
                              rowAdjoint + start)
            start += width
        }
        let scale = FloatVector(repeating: 1 / lambda)
        for column in 0..<columns {
            let offset = column * paddedRows
            let shift = FloatVector(repeating: columnAdjoint[column])
            start = 0
            while start < paddedRows {
                let bracket = VectorLoops.load(rowAdjoint + start) + shift - VectorLoops.load(upstream + offset + start)
                VectorLoops.store(VectorLoops.load(planColumns + offset + start) * bracket * scale, result + offset + start)
                start += width
            }
        }
        CostLoading.storeRows(result, rows: rows, columns: columns, paddedRows: paddedRows, into: costGradient)
    }

    /// Solves the Laplacian system S y = right with y_{m-1} = 0 (see the type's comment).
    static func solveSchurComplement(planColumns: UnsafePointer<Float>, inverseRowSum: UnsafePointer<Float>,
                                     right: UnsafePointer<Float>, scratch: SinkhornScratch,
                                     into solution: UnsafeMutablePointer<Float>) {
        let columns = scratch.columns, paddedRows = scratch.paddedRows
        let size = columns - 1
        for column in 0..<columns { solution[column] = 0 }
        guard size > 0 else { return }
        withUnsafeTemporaryAllocation(of: Double.self, capacity: size * size + size) { buffer in
            let matrix = buffer.baseAddress!, vector = matrix + size * size
            matrix.initialize(repeating: 0, count: size * size)
            // Off-diagonal couplings over all m targets; the diagonal of row j (j < m-1) also
            // counts the coupling to the fixed last target.
            for first in 0..<columns {
                for second in (first + 1)..<columns {
                    let coupling = Double(weightedDot(planColumns + first * paddedRows, planColumns + second * paddedRows,
                                                      inverseRowSum, count: paddedRows))
                    if first < size { matrix[first * size + first] += coupling }
                    if second < size { matrix[second * size + second] += coupling }
                    if second < size {
                        matrix[first * size + second] = -coupling
                        matrix[second * size + first] = -coupling
                    }
                }
            }
            for index in 0..<size { vector[index] = Double(right[index]) }
            CholeskySolver.solveInPlace(matrix, size: size, rightHandSide: vector)
            for index in 0..<size { solution[index] = Float(vector[index]) }
        }
    }

    /// sum_i a_i b_i w_i.
    static func weightedDot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
                            count: Int) -> Float {
        var total = FloatVector()
        var start = 0
        while start < count {
            total = VectorLoops.multiplyAdd(total, VectorLoops.load(a + start) * VectorLoops.load(b + start), VectorLoops.load(weight + start))
            start += FloatVector.scalarCount
        }
        return total.pairwiseSum
    }
}
