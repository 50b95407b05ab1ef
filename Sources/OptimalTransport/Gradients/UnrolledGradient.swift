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

        let last = record.iterations
        for iteration in stride(from: last, through: 1, by: -1) {
            let previousBeta = iteration == 1 ? UnsafePointer(ones) : UnsafePointer(record.beta(iteration - 1))
            let beta = record.beta(iteration)
            if iteration == last || columns != 4 {
                recomputeAlpha(kernel: kernel, beta: previousBeta, mu: mu, scratch: scratch, alpha: alpha, inverseU: inverseU)
            }
            if iteration == last {
                planTerm(kernel: kernel, planBar: planBar, alpha: alpha, beta: beta, scratch: scratch,
                         kernelBar: kernelBar, alphaBar: alphaBar, betaBar: betaBar)
            } else {
                alphaBar.initialize(repeating: 0, count: paddedRows)
            }
            for column in 0..<columns { vBar[column] = -betaBar[column] * beta[column] * beta[column] / nu[column] }
            if columns == 4 {
                let adjoint = adjointStepFourColumns(kernel: kernel, mu: mu, previousBeta: previousBeta, vBar: vBar,
                                                     alphaBar: alphaBar, kernelBar: kernelBar, scratch: scratch)
                for column in 0..<4 { betaBar[column] = adjoint[column] }
            } else {
                adjointStep(kernel: kernel, previousBeta: previousBeta, vBar: vBar, scratch: scratch,
                            alpha: alpha, inverseU: inverseU, alphaBar: alphaBar, uBar: uBar, kernelBar: kernelBar)
                if iteration > 1 {
                    for column in 0..<columns {
                        betaBar[column] = dot(kernel + column * paddedRows, uBar, count: paddedRows)
                    }
                }
            }
        }
    }

    /// One iteration of the recursion after vbar is known, for any m: alphabar += K vbar,
    /// ubar = -alphabar o alpha / u, Kbar += alpha vbar^T + ubar beta_{t-1}^T. Leaves ubar for
    /// betabar_{t-1} = K^T ubar.
    static func adjointStep(kernel: UnsafePointer<Float>, previousBeta: UnsafePointer<Float>, vBar: UnsafePointer<Float>,
                            scratch: SinkhornScratch, alpha: UnsafePointer<Float>, inverseU: UnsafePointer<Float>,
                            alphaBar: UnsafePointer<Float>, uBar: UnsafeMutablePointer<Float>,
                            kernelBar: UnsafeMutablePointer<Float>) {
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        var start = 0
        while start < paddedRows {
            var adjointAlpha = VectorLoops.load(alphaBar + start)
            for column in 0..<columns {
                adjointAlpha = adjointAlpha.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                          FloatVector(repeating: vBar[column]))
            }
            let currentAlpha = VectorLoops.load(alpha + start)
            let adjointU = -adjointAlpha * currentAlpha * VectorLoops.load(inverseU + start)
            VectorLoops.store(adjointU, uBar + start)
            for column in 0..<columns {
                let slot = kernelBar + column * paddedRows + start
                let update = (currentAlpha * FloatVector(repeating: vBar[column]))
                    .addingProduct(adjointU, FloatVector(repeating: previousBeta[column]))
                VectorLoops.store(VectorLoops.load(slot) + update, slot)
            }
            start += FloatVector.scalarCount
        }
    }

    /// alpha = mu / (K beta) and 1 / (K beta), rows in lanes.
    static func recomputeAlpha(kernel: UnsafePointer<Float>, beta: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                               scratch: SinkhornScratch, alpha: UnsafeMutablePointer<Float>, inverseU: UnsafeMutablePointer<Float>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        var start = 0
        while start < paddedRows {
            var kernelTimesBeta = FloatVector()
            for column in 0..<scratch.columns {
                kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                FloatVector(repeating: beta[column]))
            }
            let inverse = 1 / kernelTimesBeta
            VectorLoops.store(inverse, inverseU + start)
            VectorLoops.store(VectorLoops.load(mu + start) * inverse, alpha + start)
            start += width
        }
    }

    /// The adjoints of P = diag(alpha_T) K diag(beta_T): Kbar += Pbar o alpha beta^T,
    /// alphabar = (Pbar o K) beta, betabar = (Pbar o K)^T alpha.
    static func planTerm(kernel: UnsafePointer<Float>, planBar: UnsafePointer<Float>,
                         alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>, scratch: SinkhornScratch,
                         kernelBar: UnsafeMutablePointer<Float>, alphaBar: UnsafeMutablePointer<Float>,
                         betaBar: UnsafeMutablePointer<Float>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        alphaBar.initialize(repeating: 0, count: paddedRows)
        for column in 0..<scratch.columns {
            let offset = column * paddedRows
            let scale = FloatVector(repeating: beta[column])
            var columnSum = FloatVector()
            var start = 0
            while start < paddedRows {
                let upstream = VectorLoops.load(planBar + offset + start)
                let currentAlpha = VectorLoops.load(alpha + start)
                let weighted = upstream * VectorLoops.load(kernel + offset + start)
                VectorLoops.store(VectorLoops.load(kernelBar + offset + start).addingProduct(upstream * currentAlpha, scale),
                                  kernelBar + offset + start)
                VectorLoops.store(VectorLoops.load(alphaBar + start).addingProduct(weighted, scale), alphaBar + start)
                columnSum = columnSum.addingProduct(weighted, currentAlpha)
                start += width
            }
            betaBar[column] = columnSum.pairwiseSum
        }
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
        let kernel = scratch.matrix(0)
        let scale = FloatVector(repeating: factor)
        var start = 0
        while start < scratch.paddedRows * scratch.columns {
            VectorLoops.store(VectorLoops.load(matrix + start) * VectorLoops.load(kernel + start) * scale, matrix + start)
            start += FloatVector.scalarCount
        }
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
