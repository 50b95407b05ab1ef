import Kernels

/// Reverse mode through the iterations Algorithm 1 actually ran, balanced or unbalanced.
///
/// Forward, for t = 1...T: u_t = K beta_{t-1}, alpha_t = mu o u_t^(-f_s), v_t = K^T alpha_t,
/// beta_t = nu o v_t^(-f_t); then P = diag(alpha_T) K diag(beta_T). The marginal exponents
/// f = tau / (tau + lambda) are 1 for balanced transport (alpha_t = mu / u_t, beta_t = nu / v_t,
/// beta_0 = 1); unbalanced transport starts from beta_0 = nu. Given Pbar = dL/dP the adjoints
/// run backwards:
///
///     Kbar  = Pbar o alpha_T beta_T^T,  alphabar_T = (Pbar o K) beta_T,  betabar_T = (Pbar o K)^T alpha_T
///     for t = T...1:
///         vbar     = -f_t betabar_t o beta_t / v_t    (= -betabar_t o beta_t^2 / nu for f_t = 1)
///         alphabar = alphabar_t + K vbar              (alphabar_t is 0 for t < T)
///         ubar     = -f_s alphabar o alpha_t / u_t
///         Kbar    += alpha_t vbar^T + ubar beta_{t-1}^T
///         betabar_{t-1} = K^T ubar
///     dL/dC = -Kbar o K / lambda
///
/// alpha_t and u_t are recomputed from the recorded beta_{t-1}. The log domain runs the same
/// recursion in log variables (see `logDomain`). Kbar, K and the row vectors stay in scratch, so
/// the whole backward of one problem runs in L1.
enum UnrolledGradient {
    /// `relaxation` is the forward's (nil when balanced).
    static func costGradient(_ problem: SinkhornProblem, lambda: Float, relaxation: MarginalRelaxation?,
                             record: UnrolledRecord, planGradient: MatrixView, costGradient: MutableMatrixView,
                             scratch: SinkhornScratch) {
        _ = CostLoading.transpose(problem, into: scratch.matrix(0), paddedRows: scratch.paddedRows)
        CostLoading.loadColumns(planGradient, rows: scratch.rows, columns: scratch.columns, paddedRows: scratch.paddedRows,
                                padding: 0, into: scratch.matrix(2))
        let adjoint = scratch.matrix(1)
        adjoint.initialize(repeating: 0, count: scratch.paddedRows * scratch.columns)
        let exponents = relaxation.map { ($0.sourceExponent(lambda: lambda), $0.targetExponent(lambda: lambda)) } ?? (1, 1)
        switch record.domain {
        case .log:
            logDomain(problem, lambda: lambda, exponents: (Double(exponents.0), Double(exponents.1)),
                      startsAtTargetMass: relaxation != nil,
                      largestPlanExponent: relaxation == nil ? 0 : UnbalancedSinkhorn.largestPlanExponent,
                      record: record, scratch: scratch)
            scale(adjoint, by: 1 / lambda, scratch: scratch)
        case .kernel, .automatic:
            kernelDomain(problem, lambda: lambda, exponents: exponents, startsAtTargetMass: relaxation != nil, record: record,
                         scratch: scratch)
            multiplyByKernel(adjoint, scratch: scratch, factor: -1 / lambda)
        }
        CostLoading.storeRows(adjoint, rows: scratch.rows, columns: scratch.columns, paddedRows: scratch.paddedRows,
                              into: costGradient)
    }

    /// Leaves Kbar in `scratch.matrix(1)`; K stays in `scratch.matrix(0)`. beta_0 is nu when
    /// `startsAtTargetMass`, else 1.
    static func kernelDomain(_ problem: SinkhornProblem, lambda: Float, exponents: (source: Float, target: Float),
                             startsAtTargetMass: Bool, record: UnrolledRecord, scratch: SinkhornScratch) {
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
        let initialBeta = startsAtTargetMass ? UnsafePointer(nu) : UnsafePointer(ones)

        let kernels = TransportKernels.active
        let fused = TransportKernels.adjointStepRecomputesAlpha(columns: columns, sourceExponent: exponents.source)
        let last = record.iterations
        for iteration in stride(from: last, through: 1, by: -1) {
            let previousBeta = iteration == 1 ? initialBeta : UnsafePointer(record.beta(iteration - 1))
            let beta = record.beta(iteration)
            // v_t needs alpha_t in memory unless f_t = 1.
            if iteration == last || !fused || exponents.target != 1 {
                kernels.recomputeAlpha(kernel: kernel, beta: previousBeta, mu: mu, sourceExponent: exponents.source,
                                       paddedRows: paddedRows, columns: columns, alpha: alpha, inverseU: inverseU)
            }
            if iteration == last {
                kernels.planTerm(kernel: kernel, planBar: planBar, alpha: alpha, beta: beta, paddedRows: paddedRows,
                                 columns: columns, kernelBar: kernelBar, alphaBar: alphaBar, betaBar: betaBar)
            } else {
                alphaBar.initialize(repeating: 0, count: paddedRows)
            }
            for column in 0..<columns {
                if exponents.target == 1 {
                    // v_t = nu / beta_t: no pass over K.
                    vBar[column] = -betaBar[column] * beta[column] * beta[column] / nu[column]
                } else {
                    let v = kernels.dot(kernel + column * paddedRows, alpha, runs: 1, stride: paddedRows, count: paddedRows)
                    vBar[column] = -exponents.target * betaBar[column] * beta[column] / v
                }
            }
            // betabar_0 is never needed; the fused pass computes it anyway.
            kernels.adjointStep(kernel: kernel, mu: mu, previousBeta: previousBeta, vBar: vBar,
                                sourceExponent: exponents.source, paddedRows: paddedRows, columns: columns, alpha: alpha,
                                inverseU: inverseU, alphaBar: alphaBar, uBar: uBar, kernelBar: kernelBar,
                                betaBar: iteration > 1 || fused ? betaBar : nil)
        }
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
