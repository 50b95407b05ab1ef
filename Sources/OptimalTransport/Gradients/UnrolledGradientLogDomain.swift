import Kernels

extension UnrolledGradient {
    /// The log-domain recursion, leaving dL/dC~ (the gradient with respect to C / lambda) in
    /// `scratch.matrix(1)`. With a = log alpha, b = log beta and C~ = (C - min C) / lambda:
    ///
    ///     R_t = exp(b_{t-1,j} - C~_ij + a_t,i - log mu_i)   (rows of R_t sum to 1)
    ///     Q_t = exp(a_t,i + b_t,j - C~_ij - log nu_j)       (columns of Q_t sum to 1)
    ///     P   = exp(a_T,i + b_T,j - C~_ij)
    ///
    ///     C~bar = -Pbar o P,  abar_T = (Pbar o P) 1,  bbar_T = (Pbar o P)^T 1
    ///     for t = T...1:
    ///         C~bar += Q_t diag(bbar_t);   abar_t -= Q_t bbar_t
    ///         C~bar += diag(abar_t) R_t;   bbar_{t-1} = -R_t^T abar_t
    ///
    /// As in the forward, a_t is recomputed in double precision and exponents are formed in
    /// double; the recorded b_t are float32, so the recomputed iterates match the forward's to
    /// float rounding of b. Every exponent is clamped at 0 (the three matrices have entries <= 1),
    /// which keeps the padding rows, whose log mass is -1e30, at exactly 0 contribution.
    static func logDomain(_ problem: SinkhornProblem, lambda: Float, record: UnrolledRecord, scratch: SinkhornScratch) {
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        let scaledCost = scratch.matrix(0), costBar = scratch.matrix(1), planBar = scratch.matrix(2)
        CostLoading.formScaledCost(scaledCost, rows: scratch.rows, paddedRows: paddedRows, columns: columns,
                                   shift: record.costMinimum, lambda: lambda)
        let mu = scratch.rowVector(0), alphaBar = scratch.rowVector(1)
        let nu = scratch.columnVector(0), betaBar = scratch.columnVector(1)
        scratch.withDoubleVectors { doubles in
            let logMu = doubles.row(0), logAlpha = doubles.row(1)
            let logNu = doubles.column(0), logBeta = doubles.column(1), previousLogBeta = doubles.column(2)
            LogSinkhorn.loadLogMasses(problem, scratch: scratch, mu: mu, logMu: logMu, nu: nu, logNu: logNu)
            let last = record.iterations
            for iteration in stride(from: last, through: 1, by: -1) {
                for column in 0..<columns {
                    logBeta[column] = Double(record.beta(iteration)[column])
                    previousLogBeta[column] = iteration == 1 ? 0 : Double(record.beta(iteration - 1)[column])
                }
                LogSinkhorn.updateLogAlpha(scaledCost: scaledCost, logBeta: previousLogBeta, logMu: logMu, scratch: scratch,
                                           into: logAlpha)
                alphaBar.initialize(repeating: 0, count: paddedRows)
                if iteration == last {
                    for column in 0..<columns {
                        betaBar[column] = accumulate(logAlpha: logAlpha, rowOffset: nil, logScale: logBeta[column],
                                                     column: column, scratch: scratch) { start, entry in
                            let weighted = VectorLoops.load(planBar + column * paddedRows + start) * entry
                            let slot = costBar + column * paddedRows + start
                            VectorLoops.store(VectorLoops.load(slot) - weighted, slot)
                            VectorLoops.store(VectorLoops.load(alphaBar + start) + weighted, alphaBar + start)
                            return weighted
                        }
                    }
                }
                for column in 0..<columns {
                    let adjoint = FloatVector(repeating: betaBar[column])
                    _ = accumulate(logAlpha: logAlpha, rowOffset: nil, logScale: logBeta[column] - logNu[column],
                                   column: column, scratch: scratch) { start, entry in
                        let contribution = adjoint * entry
                        let slot = costBar + column * paddedRows + start
                        VectorLoops.store(VectorLoops.load(slot) + contribution, slot)
                        VectorLoops.store(VectorLoops.load(alphaBar + start) - contribution, alphaBar + start)
                        return contribution
                    }
                }
                for column in 0..<columns {
                    betaBar[column] = -accumulate(logAlpha: logAlpha, rowOffset: logMu, logScale: previousLogBeta[column],
                                                  column: column, scratch: scratch) { start, entry in
                        let contribution = VectorLoops.load(alphaBar + start) * entry
                        let slot = costBar + column * paddedRows + start
                        VectorLoops.store(VectorLoops.load(slot) + contribution, slot)
                        return contribution
                    }
                }
            }
        }
    }

    /// For one column j, runs `body(start, e)` on every row block with
    /// e = exp(min(a_i - offset_i + logScale - C~_ij, 0)) (offset = log mu, or none) and returns
    /// the sum of what `body` returns.
    @inline(__always)
    static func accumulate(logAlpha: UnsafePointer<Double>, rowOffset: UnsafePointer<Double>?, logScale: Double,
                           column: Int, scratch: SinkhornScratch,
                           _ body: (_ start: Int, _ entry: FloatVector) -> FloatVector) -> Float {
        let line = scratch.matrix(0) + column * scratch.paddedRows
        let scale = DoubleVector(repeating: logScale)
        var total = FloatVector()
        var start = 0
        while start < scratch.paddedRows {
            var exponent = DoubleLanes.load(logAlpha + start) + scale - DoubleLanes.widen(VectorLoops.load(line + start))
            if let rowOffset { exponent -= DoubleLanes.load(rowOffset + start) }
            total += body(start, VectorMath.exp(DoubleLanes.narrow(exponent).lanewiseMinimum(FloatVector())))
            start += FloatVector.scalarCount
        }
        return total.pairwiseSum
    }
}
