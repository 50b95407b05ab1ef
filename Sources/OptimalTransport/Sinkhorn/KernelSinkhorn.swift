import Kernels

/// The paper's Algorithm 1 in float32: beta_0 = 1, then for t = 1, 2, ...
/// alpha_t = mu / (K beta_{t-1}) and beta_t = nu / (K^T alpha_t), stopping after the first
/// t >= 2 with ||alpha_t - alpha_{t-1}||_1 < threshold * ||alpha_t||_1 or at the iteration cap;
/// the plan is diag(alpha_T) K diag(beta_T).
///
/// K is exp(-(C - min C) / lambda): shifting every cost by the same constant scales alpha by
/// one factor, which changes neither the plan nor the relative change of alpha, and puts the
/// largest kernel entry at 1. One problem runs start to finish in the caller's scratch buffer
/// (L1-sized for the head's problems), rows in SIMD lanes; the iterations run in the dispatched
/// C kernel (`TransportKernels.sinkhorn`), whose stop rule is a parameter and which has a
/// register-resident loop for 4 columns.
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

        beta.update(repeating: 1, count: scratch.columns)
        alpha.initialize(repeating: 0, count: scratch.paddedRows)
        let run = TransportKernels.active.sinkhorn(
            kernel: kernel, paddedRows: scratch.paddedRows, columns: scratch.columns, mu: mu, nu: nu, alpha: alpha, beta: beta,
            iterations: 1...parameters.maximumIterations, threshold: parameters.threshold, history: record?.beta(1))

        let planColumns = scratch.matrix(1)
        formPlan(kernel: kernel, alpha: alpha, beta: beta, scratch: scratch, into: planColumns)
        let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
        PlanOutput.potentials(alpha: alpha, beta: beta, scratch: scratch, lambda: parameters.lambda, shift: shift,
                              source: sourcePotential, target: targetPotential)
        record?.writeHeader(iterations: run.iterations, domain: .kernel, costMinimum: shift)
        return SinkhornOutcome(iterations: run.iterations, converged: run.converged, marginalError: error, domain: .kernel)
    }

    /// P = diag(alpha) K diag(beta), column-major with zero padding rows (alpha is 0 there).
    static func formPlan(kernel: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                         scratch: SinkhornScratch, into planColumns: UnsafeMutablePointer<Float>) {
        TransportKernels.active.formPlan(kernel: kernel, alpha: alpha, beta: beta, paddedRows: scratch.paddedRows,
                                         columns: scratch.columns, into: planColumns)
    }
}
