import Kernels

/// Entropic unbalanced transport with KL-relaxed marginals, exactly POT's
/// `sinkhorn_knopp_unbalanced` (reg_type "kl"): with K = exp(-C / lambda) o mu nu^T,
/// f_s = tau_s / (tau_s + lambda) and f_t = tau_t / (tau_t + lambda), starting from u = v = 1,
///
///     u = (mu / (K v))^f_s,   v = (nu / (K^T u))^f_t,   P = diag(u) K diag(v).
///
/// Folding the marginals into the scalings (alpha = mu o u, beta = nu o v, K0 = exp(-C / lambda))
/// turns this into Algorithm 1 with each division raised to a power:
///
///     beta_0 = nu;  alpha_t = mu o (K0 beta_{t-1})^(-f_s),  beta_t = nu o (K0^T alpha_t)^(-f_t),
///     P = diag(alpha_T) K0 diag(beta_T),
///
/// which for tau = infinity (f = 1) is Algorithm 1 up to a constant factor in the scalings, so
/// the same plans. The stopping rules are the balanced ones, on alpha.
///
/// The cost is not shifted: unlike balanced transport, the unbalanced plan changes when a
/// constant is added to every cost (the price of transporting rises against that of leaving
/// mass behind). The kernel domain therefore needs max C / lambda <= 50 (`.automatic` picks the
/// log domain beyond), and the log domain iterates a = log alpha, b = log beta with
/// a = log mu - f_s LSE_j(b_j - C_ij / lambda), b = log nu - f_t LSE_i(a_i - C_ij / lambda).
enum UnbalancedSinkhorn {
    /// The domain a problem with largest cost `costMaximum` is solved in.
    static func domain(_ requested: SinkhornDomain, costMaximum: Float, lambda: Float) -> SinkhornDomain {
        switch requested {
        case .kernel, .log: return requested
        case .automatic: return costMaximum / lambda <= SinkhornDomain.kernelRangeLimit ? .kernel : .log
        }
    }

    /// Plan entries are formed from exponents clamped here: an entry of an unbalanced plan may
    /// exceed 1 (a truncated iterate can carry more mass than the marginals), but never e^80.
    static let largestPlanExponent: Float = 80

    /// Solves one problem whose cost `CostLoading.transpose` has put in `scratch.matrix(0)`.
    /// `batchRule` as in `LogSinkhorn.solve`: exactly `maximumIterations` iterations, recording
    /// the absolute change of alpha (alpha_0 = 1) of iterations after `available`.
    static func solve(_ problem: SinkhornProblem, parameters: SinkhornParameters, relaxation: MarginalRelaxation,
                      domain: SinkhornDomain, scratch: SinkhornScratch, plan: MutableMatrixView,
                      sourcePotential: UnsafeMutablePointer<Float>?, targetPotential: UnsafeMutablePointer<Float>?,
                      record: UnrolledRecord?,
                      batchRule: (changes: UnsafeMutablePointer<Double>?, available: Int)?) -> SinkhornOutcome {
        let lambda = parameters.lambda
        let exponents = (Double(relaxation.sourceExponent(lambda: lambda)), Double(relaxation.targetExponent(lambda: lambda)))
        let (rows, paddedRows, columns) = (scratch.rows, scratch.paddedRows, scratch.columns)
        let matrix = scratch.matrix(0)
        let mu = scratch.rowVector(0), nu = scratch.columnVector(0)
        let run: (iterations: Int, converged: Bool)
        let planColumns = scratch.matrix(1)
        if domain == .log {
            CostLoading.formScaledCost(matrix, rows: rows, paddedRows: paddedRows, columns: columns, shift: 0, lambda: lambda)
            run = scratch.withDoubleVectors { doubles in
                let logMu = doubles.row(0), logNu = doubles.column(0), logBeta = doubles.column(1)
                LogSinkhorn.loadLogMasses(problem, scratch: scratch, mu: mu, logMu: logMu, nu: nu, logNu: logNu)
                var logAlpha = doubles.row(1), previous = doubles.row(2)
                logBeta.update(from: logNu, count: columns)
                logAlpha.update(repeating: 0, count: rows)
                (logAlpha + rows).update(repeating: LogSinkhorn.paddingLogMass, count: paddedRows - rows)
                var result = (iterations: parameters.maximumIterations, converged: false)
                for iteration in 1...parameters.maximumIterations {
                    swap(&logAlpha, &previous)
                    LogSinkhorn.updateLogAlpha(scaledCost: matrix, logBeta: logBeta, logMu: logMu, scratch: scratch,
                                               exponent: exponents.0, into: logAlpha)
                    LogSinkhorn.updateLogBeta(scaledCost: matrix, logAlpha: logAlpha, logNu: logNu, scratch: scratch,
                                              exponent: exponents.1, into: logBeta)
                    if let record {
                        let slot = record.beta(iteration)
                        for column in 0..<columns { slot[column] = Float(logBeta[column]) }
                    }
                    if let batchRule {
                        if iteration > batchRule.available {
                            batchRule.changes?[iteration - batchRule.available - 1] =
                                LogSinkhorn.absoluteChange(logAlpha, previous, paddedRows: paddedRows, logScale: 0)
                        }
                    } else if iteration >= 2 {
                        let (change, size) = LogSinkhorn.relativeChange(logAlpha, previous, paddedRows: paddedRows)
                        if change < parameters.threshold * size {
                            result = (iteration, true)
                            break
                        }
                    }
                }
                formLogPlan(scaledCost: matrix, logAlpha: logAlpha, logBeta: logBeta, scratch: scratch, into: planColumns)
                if let sourcePotential { for row in 0..<rows { sourcePotential[row] = Float(Double(lambda) * logAlpha[row]) } }
                if let targetPotential {
                    for column in 0..<columns { targetPotential[column] = Float(Double(lambda) * logBeta[column]) }
                }
                return result
            }
        } else {
            CostLoading.formKernel(matrix, rows: rows, paddedRows: paddedRows, columns: columns, shift: 0, lambda: lambda)
            CostLoading.sourceMasses(problem, into: mu, paddedRows: paddedRows)
            CostLoading.targetMasses(problem, into: nu)
            let alpha = scratch.rowVector(1), beta = scratch.columnVector(1)
            run = iterate(kernel: matrix, scratch: scratch, mu: mu, nu: nu, alpha: alpha, beta: beta,
                          exponents: (Float(exponents.0), Float(exponents.1)), parameters: parameters,
                          history: record, batchRule: batchRule)
            KernelSinkhorn.formPlan(kernel: matrix, alpha: alpha, beta: beta, scratch: scratch, into: planColumns)
            PlanOutput.potentials(alpha: alpha, beta: beta, scratch: scratch, lambda: lambda, shift: 0,
                                  source: sourcePotential, target: targetPotential)
        }
        let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
        record?.writeHeader(iterations: run.iterations, domain: domain, costMinimum: 0)
        return SinkhornOutcome(iterations: run.iterations, converged: run.converged, marginalError: error, domain: domain)
    }

    /// alpha = mu o (K beta)^(-f_s) for every row block; returns the change from the previous
    /// alpha (summed |difference|) and the new alpha's sum.
    @inline(__always)
    static func updateAlpha(kernel: UnsafePointer<Float>, beta: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                            exponent: Float, scratch: SinkhornScratch,
                            alpha: UnsafeMutablePointer<Float>) -> (change: Float, size: Float) {
        let paddedRows = scratch.paddedRows
        let power = FloatVector(repeating: -exponent)
        var change = FloatVector(), size = FloatVector()
        var start = 0
        while start < paddedRows {
            var kernelTimesBeta = FloatVector()
            for column in 0..<scratch.columns {
                kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                FloatVector(repeating: beta[column]))
            }
            let updated = VectorLoops.load(mu + start) * VectorMath.exp(VectorMath.log(kernelTimesBeta) * power)
            change += VectorMath.abs(updated - VectorLoops.load(alpha + start))
            size += updated
            VectorLoops.store(updated, alpha + start)
            start += FloatVector.scalarCount
        }
        return (change.pairwiseSum, size.pairwiseSum)
    }

    /// beta = nu o (K^T alpha)^(-f_t).
    @inline(__always)
    static func updateBeta(kernel: UnsafePointer<Float>, alpha: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                           exponent: Float, scratch: SinkhornScratch, beta: UnsafeMutablePointer<Float>) {
        for column in 0..<scratch.columns {
            beta[column] = nu[column] * ScalarMath.pow(UnrolledGradient.dot(kernel + column * scratch.paddedRows, alpha,
                                                                            count: scratch.paddedRows), -exponent)
        }
    }

    static func iterate(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                        mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                        alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                        exponents: (Float, Float), parameters: SinkhornParameters, history: UnrolledRecord?,
                        batchRule: (changes: UnsafeMutablePointer<Double>?, available: Int)?) -> (iterations: Int, converged: Bool) {
        beta.update(from: nu, count: scratch.columns)
        alpha.update(repeating: 1, count: scratch.rows)
        (alpha + scratch.rows).update(repeating: 0, count: scratch.paddedRows - scratch.rows)
        for iteration in 1...parameters.maximumIterations {
            let (change, size) = updateAlpha(kernel: kernel, beta: beta, mu: mu, exponent: exponents.0, scratch: scratch, alpha: alpha)
            updateBeta(kernel: kernel, alpha: alpha, nu: nu, exponent: exponents.1, scratch: scratch, beta: beta)
            history?.beta(iteration).update(from: beta, count: scratch.columns)
            if let batchRule {
                if iteration > batchRule.available { batchRule.changes?[iteration - batchRule.available - 1] = Double(change) }
            } else if iteration >= 2 && change < parameters.threshold * size {
                return (iteration, true)
            }
        }
        return (parameters.maximumIterations, false)
    }

    /// P_ij = exp(min(a_i + b_j - C~_ij, 80)), column-major, 0 on padding rows.
    static func formLogPlan(scaledCost: UnsafePointer<Float>, logAlpha: UnsafePointer<Double>, logBeta: UnsafePointer<Double>,
                            scratch: SinkhornScratch, into planColumns: UnsafeMutablePointer<Float>) {
        let paddedRows = scratch.paddedRows
        let ceiling = FloatVector(repeating: largestPlanExponent)
        for column in 0..<scratch.columns {
            let offset = column * paddedRows
            let logScale = DoubleVector(repeating: logBeta[column])
            var start = 0
            while start < paddedRows {
                let exponent = DoubleLanes.load(logAlpha + start) + logScale
                    - DoubleLanes.widen(VectorLoops.load(scaledCost + offset + start))
                VectorLoops.store(VectorMath.exp(DoubleLanes.narrow(exponent).lanewiseMinimum(ceiling)), planColumns + offset + start)
                start += FloatVector.scalarCount
            }
        }
    }
}
