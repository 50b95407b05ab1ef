import Kernels

/// Reverse mode through the iterations `UnbalancedSinkhorn` ran.
///
/// Forward, with beta_0 = nu and for t = 1...T: u_t = K beta_{t-1}, alpha_t = mu o u_t^(-f_s),
/// v_t = K^T alpha_t, beta_t = nu o v_t^(-f_t); P = diag(alpha_T) K diag(beta_T). Given
/// Pbar = dL/dP:
///
///     Kbar = Pbar o alpha_T beta_T^T,  alphabar = (Pbar o K) beta_T,  betabar = (Pbar o K)^T alpha_T
///     for t = T...1:
///         vbar  = -f_t betabar o beta_t / v_t
///         alphabar += K vbar;              Kbar += alpha_t vbar^T
///         ubar  = -f_s alphabar o alpha_t / u_t
///         Kbar += ubar beta_{t-1}^T;       betabar = K^T ubar;  alphabar = 0
///     dL/dC = -Kbar o K / lambda
///
/// For f = 1 this is the balanced recursion of `UnrolledGradient`. The log domain runs the
/// same recursion in a = log alpha, b = log beta (see `logDomain`).
enum UnbalancedUnrolledGradient {
    static func costGradient(_ problem: SinkhornProblem, lambda: Float, relaxation: MarginalRelaxation,
                             record: UnrolledRecord, planGradient: MatrixView, costGradient: MutableMatrixView,
                             scratch: SinkhornScratch) {
        let (rows, paddedRows, columns) = (scratch.rows, scratch.paddedRows, scratch.columns)
        _ = CostLoading.transpose(problem, into: scratch.matrix(0), paddedRows: paddedRows)
        CostLoading.loadColumns(planGradient, rows: rows, columns: columns, paddedRows: paddedRows, padding: 0, into: scratch.matrix(2))
        let exponents = (relaxation.sourceExponent(lambda: lambda), relaxation.targetExponent(lambda: lambda))
        let result = scratch.matrix(1)
        switch record.domain {
        case .log:
            CostLoading.formScaledCost(scratch.matrix(0), rows: rows, paddedRows: paddedRows, columns: columns, shift: 0, lambda: lambda)
            logDomain(problem, lambda: lambda, exponents: (Double(exponents.0), Double(exponents.1)), record: record, scratch: scratch)
        case .kernel, .automatic:
            CostLoading.formKernel(scratch.matrix(0), rows: rows, paddedRows: paddedRows, columns: columns, shift: 0, lambda: lambda)
            kernelDomain(problem, exponents: exponents, record: record, scratch: scratch)
            UnrolledGradient.multiplyByKernel(result, scratch: scratch, factor: -1 / lambda)
        }
        CostLoading.storeRows(result, rows: rows, columns: columns, paddedRows: paddedRows, into: costGradient)
    }

    /// Leaves Kbar in `scratch.matrix(1)`, with K in `scratch.matrix(0)` and Pbar in `scratch.matrix(2)`.
    static func kernelDomain(_ problem: SinkhornProblem, exponents: (Float, Float), record: UnrolledRecord, scratch: SinkhornScratch) {
        let paddedRows = scratch.paddedRows, columns = scratch.columns, width = FloatVector.scalarCount
        let kernel = scratch.matrix(0), kernelBar = scratch.matrix(1), planBar = scratch.matrix(2)
        kernelBar.initialize(repeating: 0, count: paddedRows * columns)
        let mu = scratch.rowVector(0), alpha = scratch.rowVector(1), inverseU = scratch.rowVector(2)
        let alphaBar = scratch.rowVector(3), uBar = scratch.rowVector(4)
        let nu = scratch.columnVector(0), betaBar = scratch.columnVector(1), vBar = scratch.columnVector(2)
        CostLoading.sourceMasses(problem, into: mu, paddedRows: paddedRows)
        CostLoading.targetMasses(problem, into: nu)
        let sourcePower = FloatVector(repeating: -exponents.0)

        let last = record.iterations
        for iteration in stride(from: last, through: 1, by: -1) {
            let previousBeta = iteration == 1 ? UnsafePointer(nu) : UnsafePointer(record.beta(iteration - 1))
            let beta = record.beta(iteration)
            // alpha_t and 1 / u_t from beta_{t-1}.
            var start = 0
            while start < paddedRows {
                var kernelTimesBeta = FloatVector()
                for column in 0..<columns {
                    kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                    FloatVector(repeating: previousBeta[column]))
                }
                VectorLoops.store(1 / kernelTimesBeta, inverseU + start)
                VectorLoops.store(VectorLoops.load(mu + start) * VectorMath.exp(VectorMath.log(kernelTimesBeta) * sourcePower),
                                  alpha + start)
                start += width
            }
            if iteration == last {
                UnrolledGradient.planTerm(kernel: kernel, planBar: planBar, alpha: alpha, beta: beta, scratch: scratch,
                                          kernelBar: kernelBar, alphaBar: alphaBar, betaBar: betaBar)
            } else {
                alphaBar.initialize(repeating: 0, count: paddedRows)
            }
            for column in 0..<columns {
                let v = UnrolledGradient.dot(kernel + column * paddedRows, alpha, count: paddedRows)
                vBar[column] = -exponents.1 * betaBar[column] * beta[column] / v
            }
            let scale = FloatVector(repeating: -exponents.0)
            start = 0
            while start < paddedRows {
                var adjointAlpha = VectorLoops.load(alphaBar + start)
                for column in 0..<columns {
                    adjointAlpha = adjointAlpha.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                              FloatVector(repeating: vBar[column]))
                }
                let currentAlpha = VectorLoops.load(alpha + start)
                let adjointU = scale * adjointAlpha * currentAlpha * VectorLoops.load(inverseU + start)
                VectorLoops.store(adjointU, uBar + start)
                for column in 0..<columns {
                    let slot = kernelBar + column * paddedRows + start
                    let update = (currentAlpha * FloatVector(repeating: vBar[column]))
                        .addingProduct(adjointU, FloatVector(repeating: previousBeta[column]))
                    VectorLoops.store(VectorLoops.load(slot) + update, slot)
                }
                start += width
            }
            for column in 0..<columns {
                betaBar[column] = UnrolledGradient.dot(kernel + column * paddedRows, uBar, count: paddedRows)
            }
        }
    }

    /// The log-domain recursion in double precision, leaving dL/dC (already divided by lambda)
    /// in `scratch.matrix(1)`. With C~ = C / lambda, a_t = log mu - f_s LSE_j(b_{t-1,j} - C~_ij)
    /// and b_t = log nu - f_t LSE_i(a_t,i - C~_ij); R_t and Q_t are the row- and column-softmaxes
    /// of those two log-sum-exps:
    ///
    ///     C~bar = -Pbar o P,  abar = (Pbar o P) 1,  bbar = (Pbar o P)^T 1
    ///     for t = T...1:
    ///         C~bar += f_t Q_t diag(bbar);   abar -= f_t Q_t bbar
    ///         C~bar += f_s diag(abar) R_t;   bbar  = -f_s R_t^T abar
    ///
    /// a_t is recomputed from the recorded b_{t-1} (float32) and each softmax is normalised
    /// afresh, so the recursion stays consistent whatever the rounding of the record.
    static func logDomain(_ problem: SinkhornProblem, lambda: Float, exponents: (Double, Double),
                          record: UnrolledRecord, scratch: SinkhornScratch) {
        let rows = scratch.rows, paddedRows = scratch.paddedRows, columns = scratch.columns
        let scaledCost = scratch.matrix(0), costBar = scratch.matrix(1), planBar = scratch.matrix(2)
        let mu = scratch.rowVector(0), nu = scratch.columnVector(0)
        CostLoading.sourceMasses(problem, into: mu, paddedRows: paddedRows)
        CostLoading.targetMasses(problem, into: nu)
        func cost(_ row: Int, _ column: Int) -> Double { Double(scaledCost[column * paddedRows + row]) }
        let count = 2 * rows + 3 * columns + rows * columns
        withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { buffer in
            let logAlpha = buffer.baseAddress!, alphaBar = logAlpha + rows
            let logBeta = alphaBar + rows, previousLogBeta = logBeta + columns, betaBar = previousLogBeta + columns
            let gradient = betaBar + columns
            gradient.initialize(repeating: 0, count: rows * columns)
            let last = record.iterations
            for iteration in stride(from: last, through: 1, by: -1) {
                for column in 0..<columns {
                    logBeta[column] = Double(record.beta(iteration)[column])
                    previousLogBeta[column] = iteration == 1 ? ScalarMath.log(Double(nu[column])) : Double(record.beta(iteration - 1)[column])
                }
                // a_t, and R_t's log-normaliser per row.
                for row in 0..<rows {
                    let sum = logSumExp(columns) { previousLogBeta[$0] - cost(row, $0) }
                    logAlpha[row] = ScalarMath.log(Double(mu[row])) - exponents.0 * sum
                    alphaBar[row] = 0
                }
                if iteration == last {
                    for column in 0..<columns { betaBar[column] = 0 }
                    for row in 0..<rows {
                        for column in 0..<columns {
                            let weighted = Double(planBar[column * paddedRows + row])
                                * ScalarMath.exp(logAlpha[row] + logBeta[column] - cost(row, column))
                            gradient[row * columns + column] -= weighted
                            alphaBar[row] += weighted
                            betaBar[column] += weighted
                        }
                    }
                }
                for column in 0..<columns {
                    let normaliser = logSumExp(rows) { logAlpha[$0] - cost($0, column) }
                    for row in 0..<rows {
                        let q = exponents.1 * ScalarMath.exp(logAlpha[row] - cost(row, column) - normaliser) * betaBar[column]
                        gradient[row * columns + column] += q
                        alphaBar[row] -= q
                    }
                }
                for column in 0..<columns { betaBar[column] = 0 }
                for row in 0..<rows {
                    let normaliser = logSumExp(columns) { previousLogBeta[$0] - cost(row, $0) }
                    for column in 0..<columns {
                        let r = exponents.0 * alphaBar[row] * ScalarMath.exp(previousLogBeta[column] - cost(row, column) - normaliser)
                        gradient[row * columns + column] += r
                        betaBar[column] -= r
                    }
                }
            }
            let scale = 1 / Double(lambda)
            costBar.initialize(repeating: 0, count: paddedRows * columns)
            for row in 0..<rows {
                for column in 0..<columns { costBar[column * paddedRows + row] = Float(gradient[row * columns + column] * scale) }
            }
        }
    }

    /// log sum_k exp(term(k)) for k in 0..<count, stably.
    @inline(__always)
    static func logSumExp(_ count: Int, _ term: (Int) -> Double) -> Double {
        var largest = -Double.infinity
        for k in 0..<count { largest = max(largest, term(k)) }
        guard largest.isFinite else { return largest }
        var total = 0.0
        for k in 0..<count { total += ScalarMath.exp(term(k) - largest) }
        return largest + ScalarMath.log(total)
    }
}
