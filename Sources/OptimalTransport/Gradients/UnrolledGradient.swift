import Kernels

/// Reverse mode through the iterations Algorithm 1 actually ran.
///
/// Forward, for t = 1...T: u_t = K beta_{t-1}, alpha_t = mu / u_t, v_t = K^T alpha_t,
/// beta_t = nu / v_t; then P = diag(alpha_T) K diag(beta_T). Given Pbar = dL/dP the adjoints run
/// backwards:
///
///     Kbar  = Pbar o alpha_T beta_T^T,  alphabar_T = (Pbar o K) beta_T,  betabar_T = (Pbar o K)^T alpha_T
///     for t = T...1:
///         vbar     = -betabar_t o beta_t^2 / nu
///         alphabar = alphabar_t + K vbar              (alphabar_t is 0 for t < T)
///         ubar     = -alphabar o alpha_t / u_t
///         Kbar    += alpha_t vbar^T + ubar beta_{t-1}^T
///         betabar_{t-1} = K^T ubar
///     dL/dC = -Kbar o K / lambda
///
/// alpha_t and u_t are recomputed from the recorded beta_{t-1}. The log domain runs the same
/// recursion in log variables (see `logDomain`). Kbar, K and the row vectors stay in scratch, so
/// the whole backward of one problem runs in L1.
enum UnrolledGradient {
    static func costGradient(_ problem: SinkhornProblem, lambda: Float, record: UnrolledRecord,
                             planGradient: MatrixView, costGradient: MutableMatrixView, scratch: SinkhornScratch) {
        _ = CostLoading.transpose(problem, into: scratch.matrix(0), paddedRows: scratch.paddedRows)
        CostLoading.loadColumns(planGradient, rows: scratch.rows, columns: scratch.columns, paddedRows: scratch.paddedRows,
                                padding: 0, into: scratch.matrix(2))
        let adjoint = scratch.matrix(1)
        adjoint.initialize(repeating: 0, count: scratch.paddedRows * scratch.columns)
        switch record.domain {
        case .log:
            logDomain(problem, lambda: lambda, record: record, scratch: scratch)
            scale(adjoint, by: 1 / lambda, scratch: scratch)
        case .kernel, .automatic:
            kernelDomain(problem, lambda: lambda, record: record, scratch: scratch)
            multiplyByKernel(adjoint, scratch: scratch, factor: -1 / lambda)
        }
        CostLoading.storeRows(adjoint, rows: scratch.rows, columns: scratch.columns, paddedRows: scratch.paddedRows,
                              into: costGradient)
    }

    /// Leaves Kbar in `scratch.matrix(1)`; K stays in `scratch.matrix(0)`.
    static func kernelDomain(_ problem: SinkhornProblem, lambda: Float, record: UnrolledRecord, scratch: SinkhornScratch) {
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        let kernel = scratch.matrix(0), kernelBar = scratch.matrix(1), planBar = scratch.matrix(2)
        CostLoading.formKernel(kernel, rows: scratch.rows, paddedRows: paddedRows, columns: columns,
                               shift: record.costMinimum, lambda: lambda)
        let mu = scratch.rowVector(0), alpha = scratch.rowVector(1), inverseU = scratch.rowVector(2)
        let alphaBar = scratch.rowVector(3), uBar = scratch.rowVector(4)
        let nu = scratch.columnVector(0), betaBar = scratch.columnVector(1), vBar = scratch.columnVector(2)
        let ones = scratch.columnVector(3)
        CostLoading.sourceMasses(problem, into: mu, paddedRows: paddedRows)
        CostLoading.targetMasses(problem, into: nu)
        for column in 0..<columns { ones[column] = 1 }

        let kernels = TransportKernels.active
        let last = record.iterations
        for iteration in stride(from: last, through: 1, by: -1) {
            let previousBeta = iteration == 1 ? UnsafePointer(ones) : UnsafePointer(record.beta(iteration - 1))
            let beta = record.beta(iteration)
            if iteration == last || columns != 4 {
                kernels.recomputeAlpha(kernel: kernel, beta: previousBeta, mu: mu, paddedRows: paddedRows, columns: columns,
                                       alpha: alpha, inverseU: inverseU)
            }
            if iteration == last {
                kernels.planTerm(kernel: kernel, planBar: planBar, alpha: alpha, beta: beta, paddedRows: paddedRows,
                                 columns: columns, kernelBar: kernelBar, alphaBar: alphaBar, betaBar: betaBar)
            } else {
                alphaBar.initialize(repeating: 0, count: paddedRows)
            }
            for column in 0..<columns { vBar[column] = -betaBar[column] * beta[column] * beta[column] / nu[column] }
            // betabar_0 is never needed; for m = 4 the fused pass computes it anyway.
            kernels.adjointStep(kernel: kernel, mu: mu, previousBeta: previousBeta, vBar: vBar, paddedRows: paddedRows,
                                columns: columns, alpha: alpha, inverseU: inverseU, alphaBar: alphaBar, uBar: uBar,
                                kernelBar: kernelBar, betaBar: iteration > 1 || columns == 4 ? betaBar : nil)
        }
    }

    /// The adjoints of P = diag(alpha_T) K diag(beta_T): Kbar += Pbar o alpha beta^T,
    /// alphabar = (Pbar o K) beta, betabar = (Pbar o K)^T alpha.
    static func planTerm(kernel: UnsafePointer<Float>, planBar: UnsafePointer<Float>,
                         alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>, scratch: SinkhornScratch,
                         kernelBar: UnsafeMutablePointer<Float>, alphaBar: UnsafeMutablePointer<Float>,
                         betaBar: UnsafeMutablePointer<Float>) {
        TransportKernels.active.planTerm(kernel: kernel, planBar: planBar, alpha: alpha, beta: beta,
                                         paddedRows: scratch.paddedRows, columns: scratch.columns,
                                         kernelBar: kernelBar, alphaBar: alphaBar, betaBar: betaBar)
    }

    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var total = FloatVector()
        var start = 0
        while start < count {
            total = total.addingProduct(VectorLoops.load(a + start), VectorLoops.load(b + start))
            start += FloatVector.scalarCount
        }
        return total.pairwiseSum
    }

    /// matrix *= K * factor, elementwise, with K in `scratch.matrix(0)`.
    static func multiplyByKernel(_ matrix: UnsafeMutablePointer<Float>, scratch: SinkhornScratch, factor: Float) {
        TransportKernels.active.multiplyByKernel(matrix, kernel: scratch.matrix(0), count: scratch.paddedRows * scratch.columns,
                                                 factor: factor)
    }

    static func scale(_ matrix: UnsafeMutablePointer<Float>, by factor: Float, scratch: SinkhornScratch) {
        let scale = FloatVector(repeating: factor)
        var start = 0
        while start < scratch.paddedRows * scratch.columns {
            VectorLoops.store(VectorLoops.load(matrix + start) * scale, matrix + start)
            start += FloatVector.scalarCount
        }
    }
}
