import Kernels

extension KernelSinkhorn {
    /// One problem's share of a batch-rule solve (`BatchStopping`): the iterations
    /// available+1...target, continuing from the betas `record` holds for t <= available, with
    /// sum_i |alpha_t,i - alpha_{t-1},i| at alpha's true scale (mu / (K beta), K = exp(-C / lambda),
    /// alpha_0 = 1) written to changes[t - available - 1]; then the plan at `target`. When
    /// target <= available no iteration runs and the plan at `target` is rebuilt from the record.
    ///
    /// alpha_t is recomputed from beta_{t-1} with the loops' own arithmetic, so the iterates are
    /// the same bit for bit however a batch splits its iterations into calls, and the same as a
    /// fixed-count solve of `target` iterations.
    static func solveBatchRule(_ problem: SinkhornProblem, parameters: SinkhornParameters, shift: Float,
                               scratch: SinkhornScratch, plan: MutableMatrixView,
                               sourcePotential: UnsafeMutablePointer<Float>?, targetPotential: UnsafeMutablePointer<Float>?,
                               record: UnrolledRecord, target: Int, available: Int,
                               changes: UnsafeMutablePointer<Double>?) -> SinkhornOutcome {
        let kernel = scratch.matrix(0)
        CostLoading.formKernel(kernel, rows: scratch.rows, paddedRows: scratch.paddedRows, columns: scratch.columns,
                               shift: shift, lambda: parameters.lambda)
        let mu = scratch.rowVector(0), alpha = scratch.rowVector(1)
        let nu = scratch.columnVector(0), beta = scratch.columnVector(1), ones = scratch.columnVector(2)
        CostLoading.sourceMasses(problem, into: mu, paddedRows: scratch.paddedRows)
        CostLoading.targetMasses(problem, into: nu)
        for column in 0..<scratch.columns { ones[column] = 1 }

        // The state after iteration `start`: beta_start, and alpha_start to measure the next change from.
        let start = min(available, target)
        if start == 0 {
            beta.update(repeating: 1, count: scratch.columns)
            // alpha_0 = 1 at the true scale is e^(-shift / lambda) at the kernel's.
            alpha.update(repeating: Float(ScalarMath.exp(-Double(shift) / Double(parameters.lambda))), count: scratch.rows)
            (alpha + scratch.rows).update(repeating: 0, count: scratch.paddedRows - scratch.rows)
        } else {
            TransportKernels.active.updateAlpha(
                kernel: kernel, beta: start == 1 ? UnsafePointer(ones) : UnsafePointer(record.beta(start - 1)), mu: mu,
                paddedRows: scratch.paddedRows, columns: scratch.columns, into: alpha)
            beta.update(from: record.beta(start), count: scratch.columns)
        }
        if target > start {
            _ = TransportKernels.active.sinkhorn(
                kernel: kernel, paddedRows: scratch.paddedRows, columns: scratch.columns, mu: mu, nu: nu, alpha: alpha,
                beta: beta, iterations: (start + 1)...target, threshold: 0, changes: changes,
                changeScale: ScalarMath.exp(Double(shift) / Double(parameters.lambda)), history: record.beta(1))
        }

        let planColumns = scratch.matrix(1)
        formPlan(kernel: kernel, alpha: alpha, beta: beta, scratch: scratch, into: planColumns)
        let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
        PlanOutput.potentials(alpha: alpha, beta: beta, scratch: scratch, lambda: parameters.lambda, shift: shift,
                              source: sourcePotential, target: targetPotential)
        record.writeHeader(iterations: target, domain: .kernel, costMinimum: shift)
        return SinkhornOutcome(iterations: target, converged: false, marginalError: error, domain: .kernel)
    }
}
