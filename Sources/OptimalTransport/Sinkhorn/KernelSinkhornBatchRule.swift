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
            updateAlpha(kernel: kernel, beta: start == 1 ? UnsafePointer(ones) : UnsafePointer(record.beta(start - 1)),
                        mu: mu, scratch: scratch, into: alpha)
            beta.update(from: record.beta(start), count: scratch.columns)
        }
        if target > start {
            let scale = ScalarMath.exp(Double(shift) / Double(parameters.lambda))
            if scratch.columns == 4 {
                fourColumnChanges(kernel: kernel, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                                  first: start + 1, last: target, history: record, changes: changes, scale: scale)
            } else {
                changesLoop(kernel: kernel, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                            first: start + 1, last: target, history: record, changes: changes, scale: scale)
            }
        }

        let planColumns = scratch.matrix(1)
        formPlan(kernel: kernel, alpha: alpha, beta: beta, scratch: scratch, into: planColumns)
        let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
        PlanOutput.potentials(alpha: alpha, beta: beta, scratch: scratch, lambda: parameters.lambda, shift: shift,
                              source: sourcePotential, target: targetPotential)
        record.writeHeader(iterations: target, domain: .kernel, costMinimum: shift)
        return SinkhornOutcome(iterations: target, converged: false, marginalError: error, domain: .kernel)
    }

    /// alpha = mu / (K beta), summed in the order of the iteration loops (`fourColumnLoop` for
    /// m = 4, `iterate` otherwise), so a recomputed alpha equals the one the loop produced.
    static func updateAlpha(kernel: UnsafePointer<Float>, beta: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                            scratch: SinkhornScratch, into alpha: UnsafeMutablePointer<Float>) {
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        var start = 0
        while start < paddedRows {
            var kernelTimesBeta = FloatVector()
            if columns == 4 {
                let k0 = VectorLoops.load(kernel + start), k1 = VectorLoops.load(kernel + paddedRows + start)
                let k2 = VectorLoops.load(kernel + 2 * paddedRows + start), k3 = VectorLoops.load(kernel + 3 * paddedRows + start)
                kernelTimesBeta = (k0 * FloatVector(repeating: beta[0])).addingProduct(k1, FloatVector(repeating: beta[1]))
                    + (k2 * FloatVector(repeating: beta[2])).addingProduct(k3, FloatVector(repeating: beta[3]))
            } else {
                for column in 0..<columns {
                    kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                    FloatVector(repeating: beta[column]))
                }
            }
            VectorLoops.store(VectorLoops.load(mu + start) / kernelTimesBeta, alpha + start)
            start += FloatVector.scalarCount
        }
    }

    /// `iterate` for iterations first...last without a stopping test, recording each change.
    static func changesLoop(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                            mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                            alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                            first: Int, last: Int, history: UnrolledRecord,
                            changes: UnsafeMutablePointer<Double>?, scale: Double) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        for iteration in first...last {
            var change = FloatVector()
            var start = 0
            while start < paddedRows {
                var kernelTimesBeta = FloatVector()
                for column in 0..<columns {
                    kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                    FloatVector(repeating: beta[column]))
                }
                let updated = VectorLoops.load(mu + start) / kernelTimesBeta
                change += VectorMath.abs(updated - VectorLoops.load(alpha + start))
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
            history.beta(iteration).update(from: beta, count: columns)
            changes?[iteration - first] = Double(change.pairwiseSum) * scale
        }
    }

    /// `fourColumnLoop` for iterations first...last without a stopping test, recording each change.
    static func fourColumnChanges(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                                  mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                                  alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                                  first: Int, last: Int, history: UnrolledRecord,
                                  changes: UnsafeMutablePointer<Double>?, scale: Double) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        let column0 = kernel, column1 = kernel + paddedRows, column2 = kernel + 2 * paddedRows, column3 = kernel + 3 * paddedRows
        let targetMass = SIMD4<Float>(nu[0], nu[1], nu[2], nu[3])
        var scaling = SIMD4<Float>(beta[0], beta[1], beta[2], beta[3])
        for iteration in first...last {
            let beta0 = FloatVector(repeating: scaling[0]), beta1 = FloatVector(repeating: scaling[1])
            let beta2 = FloatVector(repeating: scaling[2]), beta3 = FloatVector(repeating: scaling[3])
            var dot0 = FloatVector(), dot1 = FloatVector(), dot2 = FloatVector(), dot3 = FloatVector()
            var change = FloatVector()
            var start = 0
            while start < paddedRows {
                let k0 = VectorLoops.load(column0 + start), k1 = VectorLoops.load(column1 + start)
                let k2 = VectorLoops.load(column2 + start), k3 = VectorLoops.load(column3 + start)
                let kernelTimesBeta = (k0 * beta0).addingProduct(k1, beta1) + (k2 * beta2).addingProduct(k3, beta3)
                let updated = VectorLoops.load(mu + start) / kernelTimesBeta
                change += VectorMath.abs(updated - VectorLoops.load(alpha + start))
                VectorLoops.store(updated, alpha + start)
                dot0 = dot0.addingProduct(k0, updated)
                dot1 = dot1.addingProduct(k1, updated)
                dot2 = dot2.addingProduct(k2, updated)
                dot3 = dot3.addingProduct(k3, updated)
                start += width
            }
            scaling = targetMass / SIMD4<Float>(dot0.pairwiseSum, dot1.pairwiseSum, dot2.pairwiseSum, dot3.pairwiseSum)
            let slot = history.beta(iteration)
            slot[0] = scaling[0]; slot[1] = scaling[1]; slot[2] = scaling[2]; slot[3] = scaling[3]
            changes?[iteration - first] = Double(change.pairwiseSum) * scale
        }
        beta[0] = scaling[0]; beta[1] = scaling[1]; beta[2] = scaling[2]; beta[3] = scaling[3]
    }
}
