/// Entropic optimal transport one problem at a time, on raw float memory: the building block of
/// the batched `EntropicTransport` and of fused ops (such as the multi-proxy head) that run one
/// (sample, class) problem at a time inside their own parallel loop.
///
/// The problem. Given costs C (n x m, finite, >= 0), marginals mu (n) and nu (m) (positive, each
/// summing to 1) and lambda > 0, the Gibbs kernel is K = exp(-C / lambda) and the solve runs the
/// paper's Algorithm 1:
///
///     beta_0 = 1;  for t = 1, 2, ...:  alpha_t = mu / (K beta_{t-1}),  beta_t = nu / (K^T alpha_t)
///
/// Stopping rule. After iteration t >= 2 the solve stops, converged, when the relative L1 change
/// of alpha, ||alpha_t - alpha_{t-1}||_1 / ||alpha_t||_1, is below `parameters.threshold`
/// (there is no alpha_0, so iteration 1 never stops). Otherwise it stops after
/// `parameters.maximumIterations` iterations with `converged == false`; threshold 0 therefore
/// runs exactly `maximumIterations` iterations. The rule is invariant to adding one constant to
/// every cost, but not to adding a constant to one row (which rescales one alpha_i).
///
/// Output. The plan is P = diag(alpha_T) K diag(beta_T) (so its columns meet nu up to rounding
/// and its rows meet mu as far as the iterations got). The optional potentials are
/// f = lambda log alpha and g = lambda log beta, in the gauge where P_ij = exp((f_i + g_j - C_ij) / lambda)
/// with the caller's C.
///
/// Domains. `.kernel` iterates alpha, beta and K in float32 with K formed from C - min C (the
/// same plan and stopping decisions, a better-scaled alpha); `.log` iterates log alpha, log beta
/// with log-sum-exp; `.automatic` takes the kernel domain when (max C - min C) / lambda <=
/// `SinkhornDomain.kernelRangeLimit` (50) and the log domain otherwise. Both produce the same
/// iterates up to rounding.
///
/// Memory. `scratch` is any buffer of `scratchCount(rows:columns:)` floats; it holds all working
/// data of one call and nothing between calls, so a parallel loop needs one per thread, and
/// every call, forward or backward, may reuse it. `record` is per problem: a buffer of
/// `recordCount(columns:maximumIterations:)` floats that the forward fills (beta after every
/// iteration plus a small header) for `unrolledCostGradient`, which must receive the same
/// problem, the same lambda and the untouched record. The implicit gradient needs no record,
/// only the plan. No call allocates heap memory, except `implicitCostGradient` for m large
/// enough that its (m-1) x (m-1) system does not fit the stack.
///
/// Preconditions (not checked; `EntropicTransport` checks them and throws): finite
/// non-negative costs, positive marginals summing to 1, lambda > 0, threshold >= 0,
/// maximumIterations >= 1, buffers of the stated sizes that do not overlap the inputs.
public enum Sinkhorn {
    /// Floats of scratch one call needs for an n x m problem (the rows rounded up to a multiple of 16).
    public static func scratchCount(rows: Int, columns: Int) -> Int {
        SinkhornScratch.count(rows: rows, columns: columns)
    }

    /// Floats of the per-problem record the unrolled gradient needs: 4 + m * maximumIterations.
    public static func recordCount(columns: Int, maximumIterations: Int) -> Int {
        UnrolledRecord.count(columns: columns, maximumIterations: maximumIterations)
    }

    /// Floats of per-problem record a gradient mode needs: the unrolled record, or 0 for the
    /// implicit gradient (which needs only the plan).
    public static func recordCount(rows: Int, columns: Int, maximumIterations: Int, gradient: SinkhornGradient) -> Int {
        gradient == .unrolled ? recordCount(columns: columns, maximumIterations: maximumIterations) : 0
    }

    /// Solves one problem and writes its n x m plan into `plan`.
    ///
    /// - Parameters:
    ///   - problem: the n x m costs and marginals.
    ///   - parameters: lambda, the stopping rule and threshold, the cap, the domain, the relaxation.
    ///   - plan: receives the n x m plan.
    ///   - scratch: `scratchCount(rows:columns:)` floats of the caller's (per thread).
    ///   - record: when given, `recordCount(columns:maximumIterations:)` floats that receive what
    ///     `unrolledCostGradient` needs; pass nil when no unrolled gradient will be asked for.
    ///   - sourcePotential: when given, n floats that receive f.
    ///   - targetPotential: when given, m floats that receive g.
    @discardableResult
    public static func solve(_ problem: SinkhornProblem, parameters: SinkhornParameters, plan: MutableMatrixView,
                             scratch: UnsafeMutablePointer<Float>, record: UnsafeMutablePointer<Float>? = nil,
                             sourcePotential: UnsafeMutablePointer<Float>? = nil,
                             targetPotential: UnsafeMutablePointer<Float>? = nil) -> SinkhornOutcome {
        let layout = SinkhornScratch(scratch, rows: problem.rows, columns: problem.columns)
        let range = CostLoading.transpose(problem, into: layout.matrix(0), paddedRows: layout.paddedRows)
        let history = record.map { UnrolledRecord(base: $0, columns: problem.columns) }
        if let relaxation = parameters.relaxation {
            return UnbalancedSinkhorn.solve(problem, parameters: parameters, relaxation: relaxation,
                                            domain: UnbalancedSinkhorn.domain(parameters.domain, costMaximum: range.maximum, lambda: parameters.lambda),
                                            scratch: layout, plan: plan, sourcePotential: sourcePotential,
                                            targetPotential: targetPotential, record: history, batchRule: nil)
        }
        let domain = parameters.domain.resolved(costRange: range.maximum - range.minimum, lambda: parameters.lambda)
        switch domain {
        case .log:
            return LogSinkhorn.solve(problem, parameters: parameters, shift: range.minimum, scratch: layout, plan: plan,
                                     sourcePotential: sourcePotential, targetPotential: targetPotential, record: history)
        case .kernel, .automatic:
            return KernelSinkhorn.solve(problem, parameters: parameters, shift: range.minimum, scratch: layout, plan: plan,
                                        sourcePotential: sourcePotential, targetPotential: targetPotential, record: history)
        }
    }

    /// One problem's share of a batch-rule round (`BatchStopping`): exactly `iterations`
    /// iterations, continuing from the `available` iterations an earlier round of the same batch
    /// left in `record` (0 for none), with the absolute change of alpha of each iteration
    /// t > available written to changes[t - available - 1] (see `SinkhornStopRule.batchAbsolute`);
    /// then the plan after `iterations`. With iterations <= available it only rebuilds that plan.
    /// `record` is required (`recordCount(columns:maximumIterations:)` floats, the same buffer in
    /// every round) and serves `unrolledCostGradient` afterwards; the threshold and stop rule of
    /// `parameters` are not used. The result does not depend on how the iterations were split
    /// into rounds: the balanced kernel domain continues from the recorded betas bit for bit,
    /// the log domain and unbalanced transport start again from the beginning.
    @discardableResult
    public static func solveIterations(_ problem: SinkhornProblem, parameters: SinkhornParameters, iterations: Int,
                                       available: Int, changes: UnsafeMutablePointer<Double>?, plan: MutableMatrixView,
                                       scratch: UnsafeMutablePointer<Float>, record: UnsafeMutablePointer<Float>,
                                       sourcePotential: UnsafeMutablePointer<Float>? = nil,
                                       targetPotential: UnsafeMutablePointer<Float>? = nil) -> SinkhornOutcome {
        let layout = SinkhornScratch(scratch, rows: problem.rows, columns: problem.columns)
        let range = CostLoading.transpose(problem, into: layout.matrix(0), paddedRows: layout.paddedRows)
        let history = UnrolledRecord(base: record, columns: problem.columns)
        var fixed = parameters
        fixed.maximumIterations = iterations
        fixed.threshold = 0
        if let relaxation = parameters.relaxation {
            return UnbalancedSinkhorn.solve(problem, parameters: fixed, relaxation: relaxation,
                                            domain: UnbalancedSinkhorn.domain(parameters.domain, costMaximum: range.maximum, lambda: parameters.lambda),
                                            scratch: layout, plan: plan, sourcePotential: sourcePotential,
                                            targetPotential: targetPotential, record: history, batchRule: (changes, available))
        }
        switch parameters.domain.resolved(costRange: range.maximum - range.minimum, lambda: parameters.lambda) {
        case .log:
            return LogSinkhorn.solve(problem, parameters: fixed, shift: range.minimum, scratch: layout, plan: plan,
                                     sourcePotential: sourcePotential, targetPotential: targetPotential, record: history,
                                     batchRule: (changes, available))
        case .kernel, .automatic:
            return KernelSinkhorn.solveBatchRule(problem, parameters: parameters, shift: range.minimum, scratch: layout, plan: plan,
                                                 sourcePotential: sourcePotential, targetPotential: targetPotential,
                                                 record: history, target: iterations, available: available, changes: changes)
        }
    }

    /// `unrolledCostGradient` for any transport `parameters` describe (balanced or unbalanced,
    /// as solved); only their lambda and relaxation are used.
    public static func unrolledCostGradient(_ problem: SinkhornProblem, parameters: SinkhornParameters, record: UnsafePointer<Float>,
                                            planGradient: MatrixView, costGradient: MutableMatrixView,
                                            scratch: UnsafeMutablePointer<Float>) {
        UnrolledGradient.costGradient(problem, lambda: parameters.lambda, relaxation: parameters.relaxation,
                                      record: UnrolledRecord(base: UnsafeMutablePointer(mutating: record), columns: problem.columns),
                                      planGradient: planGradient, costGradient: costGradient,
                                      scratch: SinkhornScratch(scratch, rows: problem.rows, columns: problem.columns))
    }

    /// dL/dC of the truncated algorithm: the exact derivative of the plan `solve` returned, as a
    /// function of the cost through every iteration it ran, contracted with `planGradient`
    /// (dL/dP, n x m). Writes the n x m result into `costGradient`.
    ///
    /// `problem` must be the one that was solved and `record` the one its `solve` filled; the
    /// backward re-forms K from the cost and recomputes alpha_t = mu / (K beta_{t-1}) from the
    /// recorded betas, then runs the adjoint recursion backwards in the domain the forward used.
    public static func unrolledCostGradient(_ problem: SinkhornProblem, lambda: Float, record: UnsafePointer<Float>,
                                            planGradient: MatrixView, costGradient: MutableMatrixView,
                                            scratch: UnsafeMutablePointer<Float>) {
        UnrolledGradient.costGradient(problem, lambda: lambda, relaxation: nil,
                                      record: UnrolledRecord(base: UnsafeMutablePointer(mutating: record), columns: problem.columns),
                                      planGradient: planGradient, costGradient: costGradient,
                                      scratch: SinkhornScratch(scratch, rows: problem.rows, columns: problem.columns))
    }

    /// dL/dC of the exact entropic plan at `plan` by the implicit function theorem, contracted
    /// with `planGradient` (dL/dP). Only the plan is needed: its row and column sums stand in
    /// for the marginals, so the linearisation is consistent even when the solve stopped early
    /// (then the result is the gradient of the fixed point the plan approximates). The linear
    /// system is reduced to the m side by a Schur complement, an (m-1) x (m-1) graph-Laplacian
    /// solve with the gauge fixed by the last target potential, in double precision; the cost
    /// is O(n m^2 + m^3), independent of the iterations.
    public static func implicitCostGradient(plan: MatrixView, rows: Int, columns: Int, lambda: Float,
                                            planGradient: MatrixView, costGradient: MutableMatrixView,
                                            scratch: UnsafeMutablePointer<Float>) {
        ImplicitGradient.costGradient(plan: plan, lambda: lambda, planGradient: planGradient, costGradient: costGradient,
                                      scratch: SinkhornScratch(scratch, rows: rows, columns: columns))
    }
}
