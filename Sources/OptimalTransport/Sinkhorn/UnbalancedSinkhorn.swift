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
///
/// Both domains run the balanced solvers' dispatched C loops with the exponents as parameters
/// (`TransportKernels.sinkhorn`, `LogSinkhorn.iterate`); only the starting point and the
/// unshifted cost are particular to unbalanced transport.
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
        let exponents = (source: relaxation.sourceExponent(lambda: lambda), target: relaxation.targetExponent(lambda: lambda))
        let (rows, paddedRows, columns) = (scratch.rows, scratch.paddedRows, scratch.columns)
        let matrix = scratch.matrix(0)
        let mu = scratch.rowVector(0), nu = scratch.columnVector(0)
        let run: (iterations: Int, converged: Bool)
        let planColumns = scratch.matrix(1)
        if domain == .log {
            CostLoading.formScaledCost(matrix, rows: rows, paddedRows: paddedRows, columns: columns, shift: 0, lambda: lambda)
            run = scratch.withDoubleVectors { doubles in
                let logMu = doubles.row(0), logNu = doubles.column(0), logAlpha = doubles.row(1), logBeta = doubles.column(1)
                LogSinkhorn.loadLogMasses(problem, scratch: scratch, mu: mu, logMu: logMu, nu: nu, logNu: logNu)
                logBeta.update(from: logNu, count: columns)
                logAlpha.update(repeating: 0, count: rows)
                (logAlpha + rows).update(repeating: LogSinkhorn.paddingLogMass, count: paddedRows - rows)
                let result = LogSinkhorn.iterate(scaledCost: matrix, scratch: scratch, doubles: doubles,
                                                 exponents: (Double(exponents.source), Double(exponents.target)),
                                                 parameters: parameters, logScale: 0, record: record, batchRule: batchRule)
                LogSinkhorn.formPlan(scaledCost: matrix, logAlpha: logAlpha, logBeta: logBeta, largestExponent: largestPlanExponent,
                                     scratch: scratch, into: planColumns)
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
            beta.update(from: nu, count: columns)
            alpha.update(repeating: 1, count: rows)
            (alpha + rows).update(repeating: 0, count: paddedRows - rows)
            let kernels = TransportKernels.active
            // The batch rule's change is the raw L1 change of alpha, which is at its true scale here.
            run = SinkhornStopRule.iterate(parameters.maximumIterations, threshold: parameters.threshold,
                                           batchRule: batchRule) { iterations, threshold, changes in
                kernels.sinkhorn(kernel: matrix, paddedRows: paddedRows, columns: columns, mu: mu, nu: nu, exponents: exponents,
                                 alpha: alpha, beta: beta, iterations: iterations, threshold: threshold, changes: changes,
                                 history: record?.beta(1))
            }
            KernelSinkhorn.formPlan(kernel: matrix, alpha: alpha, beta: beta, scratch: scratch, into: planColumns)
            PlanOutput.potentials(alpha: alpha, beta: beta, scratch: scratch, lambda: lambda, shift: 0,
                                  source: sourcePotential, target: targetPotential)
        }
        let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
        record?.writeHeader(iterations: run.iterations, domain: domain, costMinimum: 0)
        return SinkhornOutcome(iterations: run.iterations, converged: run.converged, marginalError: error, domain: domain)
    }

}
