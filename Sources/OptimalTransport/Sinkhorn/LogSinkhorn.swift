import Kernels

/// Algorithm 1 in the log domain: the same iterates as `KernelSinkhorn`, held as a = log alpha
/// and b = log beta and updated with log-sum-exp,
///
///     a_i = log mu_i - LSE_j(b_j - C~_ij),    b_j = log nu_j - LSE_i(a_i - C~_ij),
///
/// where C~ = (C - min C) / lambda, rounded once to float32. No quantity ever leaves the float
/// range however small lambda is. The stopping rule is evaluated on alpha itself, stably: with
/// a' = log alpha_{t-1} and A = max_i a_i,
///
///     ||alpha_t - alpha_{t-1}||_1 / ||alpha_t||_1
///         = sum_i e^(a_i - A) |e^(a'_i - a_i) - 1| / sum_i e^(a_i - A),
///
/// so both domains stop at the same iteration.
///
/// Precision. a and b reach about (cost range) / lambda in magnitude (1000 at lambda 0.002), so
/// in float32 their spacing (6e-5 there) would exceed the per-iteration change near convergence:
/// the iterates would freeze short of the fixed point with a zero measured change. They are
/// therefore kept in double precision, and every exponent (b_j - C~_ij, less its maximum) is
/// formed in double before its exponential is taken in float32, where it is small. The exp-sums
/// stay float32 SIMD; the fixed point is then exact for the float32 cost to about 1e-7 relative.
/// The iterations run in the dispatched C loop (`TransportKernels.logSinkhorn`), which unbalanced
/// transport shares through its marginal exponents.
enum LogSinkhorn {
    /// log mu on padding rows: far below any real log-scaling, so e^(a - ...) is exactly 0 there,
    /// yet finite, so differences of two padding values are 0 rather than NaN.
    static let paddingLogMass = -1e30

    /// With `batchRule` given (a `BatchStopping` round), runs exactly `maximumIterations`
    /// iterations from the start and writes the absolute change of alpha of each iteration
    /// t > available (alpha_0 = 1 at the true scale) to changes[t - available - 1].
    static func solve(_ problem: SinkhornProblem, parameters: SinkhornParameters, shift: Float,
                      scratch: SinkhornScratch, plan: MutableMatrixView,
                      sourcePotential: UnsafeMutablePointer<Float>?, targetPotential: UnsafeMutablePointer<Float>?,
                      record: UnrolledRecord?,
                      batchRule: (changes: UnsafeMutablePointer<Double>?, available: Int)? = nil) -> SinkhornOutcome {
        let scaledCost = scratch.matrix(0)
        CostLoading.formScaledCost(scaledCost, rows: scratch.rows, paddedRows: scratch.paddedRows, columns: scratch.columns,
                                   shift: shift, lambda: parameters.lambda)
        let mu = scratch.rowVector(0), nu = scratch.columnVector(0)
        return scratch.withDoubleVectors { doubles in
            let logMu = doubles.row(0), logNu = doubles.column(0), logAlpha = doubles.row(1), logBeta = doubles.column(1)
            loadLogMasses(problem, scratch: scratch, mu: mu, logMu: logMu, nu: nu, logNu: logNu)
            logBeta.update(repeating: 0, count: scratch.columns)
            // alpha_0 = 1 at the true scale, for the batch rule's first change.
            let logScale = Double(shift) / Double(parameters.lambda)
            logAlpha.update(repeating: -logScale, count: scratch.rows)
            (logAlpha + scratch.rows).update(repeating: paddingLogMass, count: scratch.paddedRows - scratch.rows)
            let result = iterate(scaledCost: scaledCost, scratch: scratch, doubles: doubles, exponents: (1, 1),
                                 parameters: parameters, logScale: logScale, record: record, batchRule: batchRule)

            let planColumns = scratch.matrix(1)
            formPlan(scaledCost: scaledCost, logAlpha: logAlpha, logBeta: logBeta, largestExponent: 0, scratch: scratch,
                     into: planColumns)
            let error = PlanOutput.write(planColumns, scratch: scratch, sourceMass: mu, targetMass: nu, into: plan)
            if let sourcePotential {
                for row in 0..<scratch.rows {
                    sourcePotential[row] = Float(Double(parameters.lambda) * logAlpha[row] + Double(shift))
                }
            }
            if let targetPotential {
                for column in 0..<scratch.columns { targetPotential[column] = Float(Double(parameters.lambda) * logBeta[column]) }
            }
            record?.writeHeader(iterations: result.iterations, domain: .log, costMinimum: shift)
            return SinkhornOutcome(iterations: result.iterations, converged: result.converged, marginalError: error, domain: .log)
        }
    }

    /// The log-domain iterations of balanced (exponents 1) and unbalanced transport, in the
    /// dispatched C loop, from the a and b the caller put in `doubles` (row 1 and column 1, with
    /// log mu in row 0 and log nu in column 0; row 2 is workspace). Leaves a_T and b_T there.
    /// The stop rule is the relative one, or `batchRule`'s changes of alpha at the scale
    /// e^(a + logScale).
    static func iterate(scaledCost: UnsafePointer<Float>, scratch: SinkhornScratch, doubles: SinkhornScratch.DoubleVectors,
                        exponents: (source: Double, target: Double), parameters: SinkhornParameters, logScale: Double,
                        record: UnrolledRecord?,
                        batchRule: (changes: UnsafeMutablePointer<Double>?, available: Int)?) -> (iterations: Int, converged: Bool) {
        let kernels = TransportKernels.active
        return SinkhornStopRule.iterate(parameters.maximumIterations, threshold: parameters.threshold,
                                        batchRule: batchRule) { iterations, threshold, changes in
            kernels.logSinkhorn(scaledCost: scaledCost, paddedRows: scratch.paddedRows, columns: scratch.columns,
                                logMu: doubles.row(0), logNu: doubles.column(0), exponents: exponents,
                                logAlpha: doubles.row(1), previousLogAlpha: doubles.row(2), logBeta: doubles.column(1),
                                iterations: iterations, threshold: threshold, changes: changes, logScale: logScale,
                                history: record?.beta(1))
        }
    }

    /// mu (0 on padding), log mu (`paddingLogMass` on padding), nu and log nu.
    static func loadLogMasses(_ problem: SinkhornProblem, scratch: SinkhornScratch,
                              mu: UnsafeMutablePointer<Float>, logMu: UnsafeMutablePointer<Double>,
                              nu: UnsafeMutablePointer<Float>, logNu: UnsafeMutablePointer<Double>) {
        CostLoading.sourceMasses(problem, into: mu, paddedRows: scratch.paddedRows)
        CostLoading.targetMasses(problem, into: nu)
        for row in 0..<scratch.rows { logMu[row] = ScalarMath.log(Double(mu[row])) }
        for row in scratch.rows..<scratch.paddedRows { logMu[row] = paddingLogMass }
        for column in 0..<scratch.columns { logNu[column] = ScalarMath.log(Double(nu[column])) }
    }

    /// P_ij = exp(min(a_i + b_j - C~_ij, largestExponent)), column-major, 0 on padding rows. A
    /// balanced plan's entries never exceed 1 (largestExponent 0, which also keeps padding lanes
    /// at exactly 0).
    static func formPlan(scaledCost: UnsafePointer<Float>, logAlpha: UnsafePointer<Double>, logBeta: UnsafePointer<Double>,
                         largestExponent: Float, scratch: SinkhornScratch, into planColumns: UnsafeMutablePointer<Float>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        let ceiling = FloatVector(repeating: largestExponent)
        for column in 0..<scratch.columns {
            let offset = column * paddedRows
            let logScale = DoubleVector(repeating: logBeta[column])
            var start = 0
            while start < paddedRows {
                let exponent = DoubleLanes.load(logAlpha + start) + logScale
                    - DoubleLanes.widen(VectorLoops.load(scaledCost + offset + start))
                VectorLoops.store(VectorMath.exp(DoubleLanes.narrow(exponent).lanewiseMinimum(ceiling)), planColumns + offset + start)
                start += width
            }
        }
    }
}
