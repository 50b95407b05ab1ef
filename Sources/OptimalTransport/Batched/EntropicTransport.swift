import Kernels
import Tensors

/// Batched entropic optimal transport on tensors, differentiable with respect to the costs.
///
/// Each problem of a (B, n, m) cost tensor (or one (n, m) problem) is solved by the per-problem
/// `Sinkhorn` kernels: Algorithm 1 with the relative-L1-change-of-alpha stopping rule, in the
/// kernel or log domain (see `Sinkhorn` for the exact semantics). Problems run in parallel across
/// the thread pool, each from start to finish in a per-thread scratch buffer, so no iteration
/// ever sweeps the whole batch through memory.
///
/// The plan joins autodiff as one op whose backward is `gradient`: `.unrolled` records beta after
/// every iteration of every problem (4 + m * maximumIterations floats per problem, only when the
/// costs require a gradient) and back-propagates through them; `.implicit` keeps only the plan.
/// Marginals are constants: no gradient flows to them.
public struct EntropicTransport: Sendable {
    public var parameters: SinkhornParameters
    public var gradient: SinkhornGradient

    public init(parameters: SinkhornParameters, gradient: SinkhornGradient = .implicit) {
        self.parameters = parameters
        self.gradient = gradient
    }

    /// The first round's iteration count under the batch rule (see `BatchStopping`): a typical
    /// count at the paper's threshold, so that one round usually suffices.
    static let batchRuleFirstTarget = 8

    public init(lambda: Float, threshold: Float = 1e-6, maximumIterations: Int = 1000,
                domain: SinkhornDomain = .automatic, gradient: SinkhornGradient = .implicit) {
        self.init(parameters: SinkhornParameters(lambda: lambda, threshold: threshold, maximumIterations: maximumIterations,
                                                 domain: domain),
                  gradient: gradient)
    }

    /// Solves every problem of `costs`.
    ///
    /// - Parameters:
    ///   - costs: (B, n, m) or (n, m); finite and non-negative.
    ///   - sourceMarginals: nil for uniform 1/n; else (B, n), or (n) shared by all problems.
    ///   - targetMarginals: nil for uniform 1/m; else (B, m), or (m) shared by all problems.
    /// - Throws: `OptimalTransportError` for invalid parameters, costs or marginals. Shapes that
    ///   do not fit together trap.
    public func solve(costs: Tensor, sourceMarginals: Tensor? = nil, targetMarginals: Tensor? = nil)
        throws(OptimalTransportError) -> EntropicTransportResult {
        try parameters.validate()
        if parameters.relaxation != nil && gradient == .implicit && costs.requiresGradient {
            throw .implicitGradientOfUnbalancedTransport
        }
        let batch = TransportBatch(costs: costs, sourceMarginals: sourceMarginals, targetMarginals: targetMarginals)
        try batch.validateMarginals(requireUnitSum: parameters.relaxation == nil)

        let plan = Tensor(uninitializedShape: costs.shape)
        let sourcePotentials = Tensor(uninitializedShape: batch.leadingShape + [batch.rows])
        let targetPotentials = Tensor(uninitializedShape: batch.leadingShape + [batch.columns])
        let recordCount = Sinkhorn.recordCount(columns: batch.columns, maximumIterations: parameters.maximumIterations)
        let batchRule = parameters.stopRule == .batchAbsolute
        let recording = batchRule || (gradient == .unrolled && costs.requiresGradient && GradientMode.isRecording)
        let records = recording ? Tensor(uninitializedShape: [batch.count * recordCount]) : nil

        var outcomes = [SinkhornOutcome](repeating: SinkhornOutcome(iterations: 0, converged: false, marginalError: 0, domain: .kernel),
                                         count: batch.count)
        var costErrors = [OptimalTransportError?](repeating: nil, count: batch.count)
        let parameters = self.parameters
        outcomes.withUnsafeMutableBufferPointer { outcomeBuffer in
          costErrors.withUnsafeMutableBufferPointer { errorBuffer in
            func planView(_ index: Int) -> MutableMatrixView {
                MutableMatrixView(plan.storage.pointer + index * batch.rows * batch.columns, rowStride: batch.columns)
            }
            func costError(_ index: Int) -> Bool {
                errorBuffer[index] = InputValidation.costError(batch.cost(index), count: batch.rows * batch.columns,
                                                               columns: batch.columns, problem: index)
                return errorBuffer[index] != nil
            }
            guard batchRule, let records else {
                ProblemLoop.run(count: batch.count, scratchCount: batch.scratchCount) { index, scratch in
                    if costError(index) { return }
                    outcomeBuffer[index] = Sinkhorn.solve(
                        batch.problem(index), parameters: parameters, plan: planView(index),
                        scratch: scratch, record: records.map { $0.storage.pointer + index * recordCount },
                        sourcePotential: sourcePotentials.storage.pointer + index * batch.rows,
                        targetPotential: targetPotentials.storage.pointer + index * batch.columns)
                }
                return
            }
            // Every cost is checked before the first round: the rounds couple the problems.
            ProblemLoop.run(count: batch.count, scratchCount: 0) { index, _ in _ = costError(index) }
            if errorBuffer.contains(where: { $0 != nil }) { return }
            let run = BatchStopping.run(problems: batch.count, points: batch.count * batch.rows, threshold: parameters.threshold,
                                        maximumIterations: parameters.maximumIterations,
                                        firstTarget: Self.batchRuleFirstTarget) { target, available, changes in
                ProblemLoop.run(count: batch.count, scratchCount: batch.scratchCount) { index, scratch in
                    outcomeBuffer[index] = Sinkhorn.solveIterations(
                        batch.problem(index), parameters: parameters, iterations: target, available: available,
                        changes: changes.map { $0 + index * (target - available) }, plan: planView(index), scratch: scratch,
                        record: records.storage.pointer + index * recordCount,
                        sourcePotential: sourcePotentials.storage.pointer + index * batch.rows,
                        targetPotential: targetPotentials.storage.pointer + index * batch.columns)
                }
            }
            for index in 0..<batch.count { outcomeBuffer[index].converged = run.converged }
          }
        }
        if let error = costErrors.lazy.compactMap({ $0 }).first { throw error }

        let gradient = self.gradient
        let lambda = parameters.lambda
        let differentiablePlan = Tensor.differentiable("entropicTransport(\(gradient))", inputs: [costs], output: plan) { planGradient, _ in
            let upstream = planGradient.contiguous()
            let costGradient = Tensor(uninitializedShape: batch.costs.shape)
            ProblemLoop.run(count: batch.count, scratchCount: batch.scratchCount) { index, scratch in
                let offset = index * batch.rows * batch.columns
                let upstreamView = MatrixView(upstream.storage.pointer + offset, rowStride: batch.columns)
                let resultView = MutableMatrixView(costGradient.storage.pointer + offset, rowStride: batch.columns)
                switch gradient {
                case .unrolled:
                    guard let records else { preconditionFailure("entropicTransport: unrolled backward without a record") }
                    Sinkhorn.unrolledCostGradient(batch.problem(index), parameters: parameters,
                                                  record: records.storage.pointer + index * recordCount,
                                                  planGradient: upstreamView, costGradient: resultView, scratch: scratch)
                case .implicit:
                    Sinkhorn.implicitCostGradient(plan: MatrixView(plan.storage.pointer + offset, rowStride: batch.columns),
                                                  rows: batch.rows, columns: batch.columns, lambda: lambda,
                                                  planGradient: upstreamView, costGradient: resultView, scratch: scratch)
                }
            }
            return [costGradient]
        }
        return EntropicTransportResult(plan: differentiablePlan, sourcePotentials: sourcePotentials,
                                       targetPotentials: targetPotentials, outcomes: outcomes)
    }
}
