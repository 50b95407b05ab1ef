import Kernels

extension UnrolledGradient {
    /// The log-domain recursion, leaving dL/dC~ (the gradient with respect to C / lambda) in
    /// `scratch.matrix(1)`. With a = log alpha, b = log beta, C~ = (C - min C) / lambda (C / lambda
    /// when unbalanced) and the forward a_t = log mu - f_s LSE_j(b_{t-1,j} - C~_ij),
    /// b_t = log nu - f_t LSE_i(a_t,i - C~_ij), the row- and column-softmaxes of those log-sum-exps
    /// are, written with the iterates themselves,
    ///
    ///     R_t = exp(b_{t-1,j} - C~_ij + (a_t,i - log mu_i) / f_s)   (rows of R_t sum to 1)
    ///     Q_t = exp(a_t,i - C~_ij + (b_t,j - log nu_j) / f_t)       (columns of Q_t sum to 1)
    ///     P   = exp(a_T,i + b_T,j - C~_ij)
    ///
    ///     C~bar = -Pbar o P,  abar_T = (Pbar o P) 1,  bbar_T = (Pbar o P)^T 1
    ///     for t = T...1:
    ///         C~bar += f_t Q_t diag(bbar_t);   abar_t -= f_t Q_t bbar_t
    ///         C~bar += f_s diag(abar_t) R_t;   bbar_{t-1} = -f_s R_t^T abar_t
    ///
    /// with f = 1 for balanced transport (dividing or multiplying by 1 is exact, so the balanced
    /// recursion rounds as it would without the exponents). As in the forward, a_t is recomputed
    /// in double precision and exponents are formed in double; the recorded b_t are float32, so
    /// the recomputed iterates match the forward's to float rounding of b. The exponents of R and
    /// Q are clamped at 0 (their entries are <= 1) and those of P at `largestPlanExponent` (0 when
    /// balanced, as the forward's plan), which keeps the padding rows, whose log mass is -1e30, at
    /// exactly 0 contribution. beta_0 is nu when `startsAtTargetMass`, else 1.
    static func logDomain(_ problem: SinkhornProblem, lambda: Float, exponents: (source: Double, target: Double),
                          startsAtTargetMass: Bool, largestPlanExponent: Float, record: UnrolledRecord,
                          scratch: SinkhornScratch) {
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        let scaledCost = scratch.matrix(0), costBar = scratch.matrix(1), planBar = scratch.matrix(2)
        CostLoading.formScaledCost(scaledCost, rows: scratch.rows, paddedRows: paddedRows, columns: columns,
                                   shift: record.costMinimum, lambda: lambda)
        let mu = scratch.rowVector(0), alphaBar = scratch.rowVector(1)
        let nu = scratch.columnVector(0), betaBar = scratch.columnVector(1)
        let kernels = TransportKernels.active
        let sourceFactor = Float(exponents.source), targetFactor = Float(exponents.target)
        scratch.withDoubleVectors { doubles in
            let logMu = doubles.row(0), logAlpha = doubles.row(1), scaledLogMu = doubles.row(2)
            let logNu = doubles.column(0), logBeta = doubles.column(1), previousLogBeta = doubles.column(2)
            LogSinkhorn.loadLogMasses(problem, scratch: scratch, mu: mu, logMu: logMu, nu: nu, logNu: logNu)
            for row in 0..<paddedRows { scaledLogMu[row] = logMu[row] / exponents.source }
            let last = record.iterations
            for iteration in stride(from: last, through: 1, by: -1) {
                for column in 0..<columns {
                    logBeta[column] = Double(record.beta(iteration)[column])
                    previousLogBeta[column] = iteration > 1 ? Double(record.beta(iteration - 1)[column])
                        : startsAtTargetMass ? logNu[column] : 0
                }
                kernels.updateLogAlpha(scaledCost: scaledCost, logBeta: previousLogBeta, logMu: logMu,
                                       exponent: exponents.source, paddedRows: paddedRows, columns: columns, into: logAlpha)
                alphaBar.initialize(repeating: 0, count: paddedRows)
                if iteration == last {
                    for column in 0..<columns {
                        betaBar[column] = accumulate(logAlpha: logAlpha, rowOffset: nil, logScale: logBeta[column],
                                                     largestExponent: largestPlanExponent, column: column,
                                                     scratch: scratch) { start, entry in
                            let weighted = VectorLoops.load(planBar + column * paddedRows + start) * entry
                            let slot = costBar + column * paddedRows + start
                            VectorLoops.store(VectorLoops.load(slot) - weighted, slot)
                            VectorLoops.store(VectorLoops.load(alphaBar + start) + weighted, alphaBar + start)
                            return weighted
                        }
                    }
                }
                for column in 0..<columns {
                    let adjoint = FloatVector(repeating: targetFactor * betaBar[column])
                    _ = accumulate(logAlpha: logAlpha, rowOffset: nil,
                                   logScale: (logBeta[column] - logNu[column]) / exponents.target, largestExponent: 0,
                                   column: column, scratch: scratch) { start, entry in
                        let contribution = adjoint * entry
                        let slot = costBar + column * paddedRows + start
                        VectorLoops.store(VectorLoops.load(slot) + contribution, slot)
                        VectorLoops.store(VectorLoops.load(alphaBar + start) - contribution, alphaBar + start)
                        return contribution
                    }
                }
                // R_t's exponent as (a_t / f_s + b_{t-1} - C~) - log mu / f_s, and f_s abar_t.
                for row in 0..<paddedRows {
                    logAlpha[row] /= exponents.source
                    alphaBar[row] *= sourceFactor
                }
                for column in 0..<columns {
                    betaBar[column] = -accumulate(logAlpha: logAlpha, rowOffset: scaledLogMu, logScale: previousLogBeta[column],
                                                  largestExponent: 0, column: column, scratch: scratch) { start, entry in
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
    /// e = exp(min(a_i - offset_i + logScale - C~_ij, largestExponent)) (offset = log mu / f_s, or
    /// none) and returns the sum of what `body` returns.
    @inline(__always)
    static func accumulate(logAlpha: UnsafePointer<Double>, rowOffset: UnsafePointer<Double>?, logScale: Double,
                           largestExponent: Float, column: Int, scratch: SinkhornScratch,
                           _ body: (_ start: Int, _ entry: FloatVector) -> FloatVector) -> Float {
        let line = scratch.matrix(0) + column * scratch.paddedRows
        let scale = DoubleVector(repeating: logScale)
        let ceiling = FloatVector(repeating: largestExponent)
        var total = FloatVector()
        var start = 0
        while start < scratch.paddedRows {
            var exponent = DoubleLanes.load(logAlpha + start) + scale - DoubleLanes.widen(VectorLoops.load(line + start))
            if let rowOffset { exponent -= DoubleLanes.load(rowOffset + start) }
            total += body(start, VectorMath.exp(DoubleLanes.narrow(exponent).lanewiseMinimum(ceiling)))
            start += FloatVector.scalarCount
        }
        return total.pairwiseSum
    }
}
