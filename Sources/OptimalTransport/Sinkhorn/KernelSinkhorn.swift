import Kernels

/// The paper's Algorithm 1 in float32: beta_0 = 1, then for t = 1, 2, ...
/// alpha_t = mu / (K beta_{t-1}) and beta_t = nu / (K^T alpha_t), stopping after the first
/// t >= 2 with ||alpha_t - alpha_{t-1}||_1 < threshold * ||alpha_t||_1 or at the iteration cap;
/// the plan is diag(alpha_T) K diag(beta_T).
///
/// K is exp(-(C - min C) / lambda): shifting every cost by the same constant scales alpha by
/// one factor, which changes neither the plan nor the relative change of alpha, and puts the
/// largest kernel entry at 1. One problem runs start to finish in the caller's scratch buffer
/// (L1-sized for the head's problems), rows in SIMD lanes; the 4-column case has its own
/// register-resident loop (`iterateFourColumns`).
enum KernelSinkhorn {
    static func solve(_ problem: SinkhornProblem, parameters: SinkhornParameters, shift: Float,
                      scratch: SinkhornScratch, plan: MutableMatrixView,
                      sourcePotential: UnsafeMutablePointer<Float>?, targetPotential: UnsafeMutablePointer<Float>?,
                      record: UnrolledRecord?) -> SinkhornOutcome {
        let kernel = scratch.matrix(0)
        CostLoading.formKernel(kernel, rows: scratch.rows, paddedRows: scratch.paddedRows, columns: scratch.columns,
                               shift: shift, lambda: parameters.lambda)
        let mu = scratch.rowVector(0), alpha = scratch.rowVector(1)
        let nu = scratch.columnVector(0), beta = scratch.columnVector(1)
        CostLoading.sourceMasses(problem, into: mu, paddedRows: scratch.paddedRows)
        CostLoading.targetMasses(problem, into: nu)

        let run: (iterations: Int, converged: Bool)
        if scratch.columns == 4 {
            run = iterateFourColumns(kernel: kernel, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                                     threshold: parameters.threshold, maximumIterations: parameters.maximumIterations,
                                     history: record?.beta(1))
        } else {
            run = iterate(kernel: kernel, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                          threshold: parameters.threshold, maximumIterations: parameters.maximumIterations,
                          history: record?.beta(1))
        }

        let planColumns = scratch.matrix(1)
        formPlan(kernel: kernel, alpha: alpha, beta: beta, scratch: scratch, into: planColumns)
        let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
        PlanOutput.potentials(alpha: alpha, beta: beta, scratch: scratch, lambda: parameters.lambda, shift: shift,
                              source: sourcePotential, target: targetPotential)
        record?.writeHeader(iterations: run.iterations, domain: .kernel, costMinimum: shift)
        return SinkhornOutcome(iterations: run.iterations, converged: run.converged, marginalError: error, domain: .kernel)
    }

    /// Algorithm 1 for any number of columns: per iteration one pass over K for alpha (rows in
    /// lanes, columns accumulated with beta broadcast) and one per column for K^T alpha.
    /// `history`, when given, receives beta_t at offset (t - 1) * m.
    static func iterate(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                        mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                        alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                        threshold: Float, maximumIterations: Int,
                        history: UnsafeMutablePointer<Float>?) -> (iterations: Int, converged: Bool) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        for column in 0..<columns { beta[column] = 1 }
        alpha.initialize(repeating: 0, count: paddedRows)
        for iteration in 1...maximumIterations {
            var change = FloatVector(), size = FloatVector()
            var start = 0
            while start < paddedRows {
                var kernelTimesBeta = FloatVector()
                for column in 0..<columns {
                    kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                    FloatVector(repeating: beta[column]))
                }
                let updated = VectorLoops.load(mu + start) / kernelTimesBeta
                change += VectorMath.abs(updated - VectorLoops.load(alpha + start))
                size += updated
                VectorLoops.store(updated, alpha + start)
                start += width
            }
            for column in 0..<columns {
                let line = kernel + column * paddedRows
                var dot = FloatVector()
                start = 0
                while start < paddedRows {
                    dot = dot.addingProduct(VectorLoops.load(line + start), VectorLoops.load(alpha + start))
                    start += width
                }
                beta[column] = nu[column] / dot.pairwiseSum
            }
            history?.advanced(by: (iteration - 1) * columns).update(from: beta, count: columns)
            if iteration >= 2 && change.pairwiseSum < threshold * size.pairwiseSum { return (iteration, true) }
        }
        return (maximumIterations, false)
    }

    /// P = diag(alpha) K diag(beta), column-major with zero padding rows (alpha is 0 there).
    static func formPlan(kernel: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                         scratch: SinkhornScratch, into planColumns: UnsafeMutablePointer<Float>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        for column in 0..<scratch.columns {
            let offset = column * paddedRows
            let scale = FloatVector(repeating: beta[column])
            var start = 0
            while start < paddedRows {
                let entry = VectorLoops.load(alpha + start) * VectorLoops.load(kernel + offset + start) * scale
                VectorLoops.store(entry, planColumns + offset + start)
                start += width
            }
        }
    }
}
