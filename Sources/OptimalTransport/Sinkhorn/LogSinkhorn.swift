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
            let logMu = doubles.row(0), logNu = doubles.column(0), logBeta = doubles.column(1)
            loadLogMasses(problem, scratch: scratch, mu: mu, logMu: logMu, nu: nu, logNu: logNu)

            var logAlpha = doubles.row(1), previous = doubles.row(2)
            for column in 0..<scratch.columns { logBeta[column] = 0 }
            // alpha_0 = 1 at the true scale, for the batch rule's first change.
            let logScale = Double(shift) / Double(parameters.lambda)
            logAlpha.update(repeating: -logScale, count: scratch.rows)
            (logAlpha + scratch.rows).update(repeating: paddingLogMass, count: scratch.paddedRows - scratch.rows)
            var result = (iterations: parameters.maximumIterations, converged: false)
            for iteration in 1...parameters.maximumIterations {
                swap(&logAlpha, &previous)
                updateLogAlpha(scaledCost: scaledCost, logBeta: logBeta, logMu: logMu, scratch: scratch, into: logAlpha)
                updateLogBeta(scaledCost: scaledCost, logAlpha: logAlpha, logNu: logNu, scratch: scratch, into: logBeta)
                if let record {
                    let slot = record.beta(iteration)
                    for column in 0..<scratch.columns { slot[column] = Float(logBeta[column]) }
                }
                if let batchRule {
                    if iteration > batchRule.available {
                        batchRule.changes?[iteration - batchRule.available - 1] =
                            absoluteChange(logAlpha, previous, paddedRows: scratch.paddedRows, logScale: logScale)
                    }
                } else if iteration >= 2 {
                    let (change, size) = relativeChange(logAlpha, previous, paddedRows: scratch.paddedRows)
                    if change < parameters.threshold * size {
                        result = (iteration, true)
                        break
                    }
                }
            }

            let planColumns = scratch.matrix(1)
            formPlan(scaledCost: scaledCost, logAlpha: logAlpha, logBeta: logBeta, scratch: scratch, into: planColumns)
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

    /// a = log mu - exponent LSE_j(b_j - C~_ij), rows in lanes (exponent 1: balanced).
    static func updateLogAlpha(scaledCost: UnsafePointer<Float>, logBeta: UnsafePointer<Double>, logMu: UnsafePointer<Double>,
                               scratch: SinkhornScratch, exponent: Double = 1, into logAlpha: UnsafeMutablePointer<Double>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        var start = 0
        while start < paddedRows {
            var largest = DoubleVector(repeating: -.infinity)
            for column in 0..<columns {
                let exponent = DoubleVector(repeating: logBeta[column])
                    - DoubleLanes.widen(VectorLoops.load(scaledCost + column * paddedRows + start))
                largest = largest.lanewiseMaximum(exponent)
            }
            var total = FloatVector()
            for column in 0..<columns {
                let exponent = DoubleVector(repeating: logBeta[column])
                    - DoubleLanes.widen(VectorLoops.load(scaledCost + column * paddedRows + start))
                total += VectorMath.exp(DoubleLanes.narrow(exponent - largest))
            }
            let logSum = DoubleLanes.widen(VectorMath.log(total))
            // Balanced updates keep their original rounding.
            let updated = exponent == 1 ? DoubleLanes.load(logMu + start) - largest - logSum
                : DoubleLanes.load(logMu + start) - (largest + logSum) * exponent
            DoubleLanes.store(updated, logAlpha + start)
            start += width
        }
    }

    /// b = log nu - exponent LSE_i(a_i - C~_ij), one column at a time (exponent 1: balanced).
    static func updateLogBeta(scaledCost: UnsafePointer<Float>, logAlpha: UnsafePointer<Double>, logNu: UnsafePointer<Double>,
                              scratch: SinkhornScratch, exponent: Double = 1, into logBeta: UnsafeMutablePointer<Double>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        for column in 0..<scratch.columns {
            let line = scaledCost + column * paddedRows
            var largestLanes = DoubleVector(repeating: -.infinity)
            var start = 0
            while start < paddedRows {
                let exponent = DoubleLanes.load(logAlpha + start) - DoubleLanes.widen(VectorLoops.load(line + start))
                largestLanes = largestLanes.lanewiseMaximum(exponent)
                start += width
            }
            let largest = DoubleVector(repeating: largestLanes.largestLane)
            var total = FloatVector()
            start = 0
            while start < paddedRows {
                let exponent = DoubleLanes.load(logAlpha + start) - DoubleLanes.widen(VectorLoops.load(line + start))
                total += VectorMath.exp(DoubleLanes.narrow(exponent - largest))
                start += width
            }
            let logSum = ScalarMath.log(Double(total.pairwiseSum))
            logBeta[column] = exponent == 1 ? logNu[column] - largest[0] - logSum : logNu[column] - (largest[0] + logSum) * exponent
        }
    }

    /// The numerator and denominator of ||alpha - alpha'||_1 / ||alpha||_1 from log-scalings,
    /// both scaled by e^(-max a). |e^d - 1| is taken as |d + d^2/2| for |d| < 1e-3, where the
    /// float exponential would round small changes away.
    static func relativeChange(_ logAlpha: UnsafePointer<Double>, _ previous: UnsafePointer<Double>,
                               paddedRows: Int) -> (change: Float, size: Float) {
        let width = FloatVector.scalarCount
        var largestLanes = DoubleVector(repeating: -.infinity)
        var start = 0
        while start < paddedRows {
            largestLanes = largestLanes.lanewiseMaximum(DoubleLanes.load(logAlpha + start))
            start += width
        }
        let largest = DoubleVector(repeating: largestLanes.largestLane)
        var change = FloatVector(), size = FloatVector()
        start = 0
        while start < paddedRows {
            let current = DoubleLanes.load(logAlpha + start)
            let weight = VectorMath.exp(DoubleLanes.narrow(current - largest))
            let difference = DoubleLanes.narrow(DoubleLanes.load(previous + start) - current)
            var ratioMinusOne = VectorMath.exp(difference.lanewiseMinimum(FloatVector(repeating: 80))) - 1
            let small = VectorMath.abs(difference) .< 1e-3
            ratioMinusOne.replace(with: difference.addingProduct(difference * difference, 0.5), where: small)
            change = change.addingProduct(weight, VectorMath.abs(ratioMinusOne))
            size += weight
            start += width
        }
        return (change.pairwiseSum, size.pairwiseSum)
    }

    /// sum_i |alpha_i - alpha'_i| at the true scale, alpha = e^(a + logScale): the relative
    /// change's numerator times e^(max a + logScale), in double.
    static func absoluteChange(_ logAlpha: UnsafePointer<Double>, _ previous: UnsafePointer<Double>,
                               paddedRows: Int, logScale: Double) -> Double {
        var largestLanes = DoubleVector(repeating: -.infinity)
        var start = 0
        while start < paddedRows {
            largestLanes = largestLanes.lanewiseMaximum(DoubleLanes.load(logAlpha + start))
            start += FloatVector.scalarCount
        }
        let (change, _) = relativeChange(logAlpha, previous, paddedRows: paddedRows)
        return Double(change) * ScalarMath.exp(largestLanes.largestLane + logScale)
    }

    /// P_ij = exp(a_i + b_j - C~_ij), column-major, 0 on padding rows. The exponent is clamped
    /// at 0 (a plan entry never exceeds 1), which keeps padding lanes at exactly 0.
    static func formPlan(scaledCost: UnsafePointer<Float>, logAlpha: UnsafePointer<Double>, logBeta: UnsafePointer<Double>,
                         scratch: SinkhornScratch, into planColumns: UnsafeMutablePointer<Float>) {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows
        for column in 0..<scratch.columns {
            let offset = column * paddedRows
            let logScale = DoubleVector(repeating: logBeta[column])
            var start = 0
            while start < paddedRows {
                let exponent = DoubleLanes.load(logAlpha + start) + logScale
                    - DoubleLanes.widen(VectorLoops.load(scaledCost + offset + start))
                VectorLoops.store(VectorMath.exp(DoubleLanes.narrow(exponent).lanewiseMinimum(FloatVector())),
                                  planColumns + offset + start)
                start += width
            }
        }
    }
}
