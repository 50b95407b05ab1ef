import Testing
import Kernels
import Tensors
import TestSupport
@testable import OptimalTransport

/// The raw-pointer per-problem API that fused ops use: strided views into larger buffers, one
/// scratch buffer reused across problems, records for the unrolled backward.
@Suite struct PerProblemKernelTests {
    /// A fused head's layout: one (n, classes x m) product per sample, problem k being columns
    /// k*m..<(k+1)*m. Solving in place through strided views equals the batched API on copies.
    @Test(arguments: [SinkhornGradient.unrolled, .implicit])
    func stridedViewsMatchBatchedApi(_ gradient: SinkhornGradient) throws {
        let rows = 49, columns = 4, classes = 3
        let wide = randomTensor([rows, classes * columns], seed: 51, lower: 0, upper: 2)
        let upstreamWide = randomTensor([rows, classes * columns], seed: 52)
        let parameters = SinkhornParameters.paper
        let recordCount = Sinkhorn.recordCount(columns: columns, maximumIterations: parameters.maximumIterations)
        #expect(Sinkhorn.recordCount(rows: rows, columns: columns, maximumIterations: 100, gradient: .unrolled) == 4 + 4 * 100)
        #expect(Sinkhorn.recordCount(rows: rows, columns: columns, maximumIterations: 100, gradient: .implicit) == 0)
        var scratch = [Float](repeating: .nan, count: Sinkhorn.scratchCount(rows: rows, columns: columns))
        var records = [Float](repeating: .nan, count: classes * recordCount)
        var plans = [Float](repeating: .nan, count: rows * classes * columns)
        var costGradients = [Float](repeating: .nan, count: rows * classes * columns)
        var outcomes: [SinkhornOutcome] = []
        wide.withUnsafeBufferPointer { cost in
            upstreamWide.withUnsafeBufferPointer { upstream in
                for problemIndex in 0..<classes {
                    let offset = problemIndex * columns, stride = classes * columns
                    let problem = SinkhornProblem(rows: rows, columns: columns, cost: MatrixView(cost.baseAddress! + offset, rowStride: stride))
                    let record = records.withUnsafeMutableBufferPointer { $0.baseAddress! + problemIndex * recordCount }
                    let plan = plans.withUnsafeMutableBufferPointer { MutableMatrixView($0.baseAddress! + offset, rowStride: stride) }
                    let scratchPointer = scratch.withUnsafeMutableBufferPointer { $0.baseAddress! }
                    outcomes.append(Sinkhorn.solve(problem, parameters: parameters, plan: plan, scratch: scratchPointer, record: record))
                    let result = costGradients.withUnsafeMutableBufferPointer { MutableMatrixView($0.baseAddress! + offset, rowStride: stride) }
                    let upstreamView = MatrixView(upstream.baseAddress! + offset, rowStride: stride)
                    switch gradient {
                    case .unrolled:
                        Sinkhorn.unrolledCostGradient(problem, lambda: parameters.lambda, record: record, planGradient: upstreamView,
                                                      costGradient: result, scratch: scratchPointer)
                    case .implicit:
                        Sinkhorn.implicitCostGradient(plan: plan.readOnly, rows: rows, columns: columns, lambda: parameters.lambda,
                                                      planGradient: upstreamView, costGradient: result, scratch: scratchPointer)
                    }
                }
            }
        }
        // The same problems as a (classes, n, m) batch.
        let batch = wide.reshaped([rows, classes, columns]).permuted([1, 0, 2]).contiguous().requiringGradient()
        let upstream = upstreamWide.reshaped([rows, classes, columns]).permuted([1, 0, 2]).contiguous()
        let result = try EntropicTransport(parameters: parameters, gradient: gradient).solve(costs: batch)
        let costGradient = gradients(of: result.plan, withRespectTo: [batch], seed: upstream)[0]
        let reordered = { (values: [Float]) in
            Tensor(values, shape: [rows, classes, columns]).permuted([1, 0, 2]).contiguous().scalars
        }
        #expect(reordered(plans) == result.plan.scalars)
        #expect(reordered(costGradients) == costGradient.scalars)
        #expect(outcomes == result.outcomes)
    }

    /// Both domains run the same iterates, so they stop at the same iteration with the same plan.
    @Test(arguments: [Float(0.1), 0.05, 0.5], [Float(0.1), 1e-3])
    func domainsAgreeOnIterations(_ lambda: Float, threshold: Float) throws {
        let costs = randomTensor([16, 64, 4], seed: 53, lower: 0, upper: 2)
        let kernel = try EntropicTransport(lambda: lambda, threshold: threshold, domain: .kernel).solve(costs: costs)
        let log = try EntropicTransport(lambda: lambda, threshold: threshold, domain: .log).solve(costs: costs)
        let agreeing = zip(kernel.iterations, log.iterations).filter { $0 == $1 }.count
        #expect(agreeing >= 15)
        #expect(maximumAbsoluteError(kernel.plan.doubles, log.plan.doubles) < 1e-6)
    }

    /// The automatic choice: kernel domain up to (max C - min C) / lambda = 50, log beyond.
    @Test func automaticDomainFollowsTheCostRange() throws {
        let solver = EntropicTransport(lambda: 0.02, threshold: 1e-3)
        let narrow = randomTensor([2, 16, 4], seed: 54, lower: 5, upper: 5.9)
        let wide = randomTensor([2, 16, 4], seed: 55, lower: 0, upper: 1.1)
        #expect(try solver.solve(costs: narrow).domains == [.kernel, .kernel])
        #expect(try solver.solve(costs: wide).domains == [.log, .log])
        #expect(SinkhornDomain.automatic.resolved(costRange: 1, lambda: 0.02) == .kernel)
        #expect(SinkhornDomain.automatic.resolved(costRange: 1.01, lambda: 0.02) == .log)
    }

    /// Near the limit the kernel domain is still exact: adversarial costs with whole rows and
    /// columns at the far end of the range, several shapes.
    @Test(arguments: [(16, 4), (64, 4), (200, 3), (10, 30)])
    func kernelDomainIsSafeUpToTheLimit(_ shape: (Int, Int)) throws {
        let (rows, columns) = shape
        var values = randomTensor([rows, columns], seed: 56, lower: 0, upper: 1).scalars
        for column in 0..<columns { values[column] = 1 }
        for row in 0..<rows { values[row * columns + columns - 1] = 1 }
        values[rows * columns - 1] = 0
        let costs = Tensor(values, shape: [rows, columns])
        let lambda = 1 / SinkhornDomain.kernelRangeLimit
        let kernel = try EntropicTransport(lambda: lambda, threshold: 1e-6, maximumIterations: 100_000, domain: .kernel).solve(costs: costs)
        let log = try EntropicTransport(lambda: lambda, threshold: 1e-6, maximumIterations: 100_000, domain: .log).solve(costs: costs)
        #expect(kernel.plan.scalars.allSatisfy { $0.isFinite })
        #expect(maximumAbsoluteError(kernel.plan.doubles, log.plan.doubles) < 1e-6)
    }

    /// The dispatched register-resident 4-column loop runs the generic loop's iterates (compared
    /// over a fixed number of iterations: a stopping decision right at the threshold may flip on
    /// the order of float additions). The generic loop is `genericIterations`, the Swift loop the
    /// solver ran before the iterations moved to C.
    @Test(arguments: [16, 49, 64, 33])
    func fourColumnLoopMatchesGenericLoop(_ rows: Int) throws {
        let costs = randomTensor([rows, 4], seed: 57, lower: 0, upper: 2)
        let count = Sinkhorn.scratchCount(rows: rows, columns: 4)
        let first = AlignedMemory.allocate(count: count), second = AlignedMemory.allocate(count: count)
        defer { AlignedMemory.release(first, count: count); AlignedMemory.release(second, count: count) }
        let runs = costs.withUnsafeBufferPointer { cost in
            [first, second].enumerated().map { index, pointer in
                let problem = SinkhornProblem(rows: rows, columns: 4, cost: MatrixView(cost.baseAddress!, rowStride: 4))
                let scratch = SinkhornScratch(pointer, rows: rows, columns: 4)
                let range = CostLoading.transpose(problem, into: scratch.matrix(0), paddedRows: scratch.paddedRows)
                CostLoading.formKernel(scratch.matrix(0), rows: rows, paddedRows: scratch.paddedRows, columns: 4,
                                       shift: range.minimum, lambda: 0.1)
                CostLoading.sourceMasses(problem, into: scratch.rowVector(0), paddedRows: scratch.paddedRows)
                CostLoading.targetMasses(problem, into: scratch.columnVector(0))
                let arguments = (kernel: scratch.matrix(0), mu: scratch.rowVector(0), nu: scratch.columnVector(0),
                                 alpha: scratch.rowVector(1), beta: scratch.columnVector(1))
                arguments.beta.update(repeating: 1, count: 4)
                arguments.alpha.update(repeating: 0, count: scratch.paddedRows)
                let iterations = index == 0
                    ? genericIterations(kernel: arguments.kernel, scratch: scratch, mu: arguments.mu, nu: arguments.nu,
                                        alpha: arguments.alpha, beta: arguments.beta, count: 40)
                    : TransportKernels.active.sinkhorn(kernel: arguments.kernel, paddedRows: scratch.paddedRows, columns: 4,
                                                       mu: arguments.mu, nu: arguments.nu, alpha: arguments.alpha,
                                                       beta: arguments.beta, iterations: 1...40, threshold: 0,
                                                       history: nil).iterations
                return (iterations, Array(UnsafeBufferPointer(start: arguments.alpha, count: rows)),
                        Array(UnsafeBufferPointer(start: arguments.beta, count: 4)))
            }
        }
        #expect(runs[0].0 == runs[1].0)
        #expect(relativeError(runs[0].1, runs[1].1) < 1e-6)
        #expect(relativeError(runs[0].2, runs[1].2) < 1e-6)
    }

    /// Algorithm 1 for any m, `count` iterations: one pass over K for alpha (rows in lanes,
    /// columns accumulated with beta broadcast) and one per column for K^T alpha.
    private func genericIterations(kernel: UnsafePointer<Float>, scratch: SinkhornScratch,
                                   mu: UnsafePointer<Float>, nu: UnsafePointer<Float>,
                                   alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>, count: Int) -> Int {
        let width = FloatVector.scalarCount
        let paddedRows = scratch.paddedRows, columns = scratch.columns
        for _ in 1...count {
            var start = 0
            while start < paddedRows {
                var kernelTimesBeta = FloatVector()
                for column in 0..<columns {
                    kernelTimesBeta = kernelTimesBeta.addingProduct(VectorLoops.load(kernel + column * paddedRows + start),
                                                                    FloatVector(repeating: beta[column]))
                }
                VectorLoops.store(VectorLoops.load(mu + start) / kernelTimesBeta, alpha + start)
                start += width
            }
            for column in 0..<columns {
                var dot: Float = 0
                for row in 0..<paddedRows { dot += kernel[column * paddedRows + row] * alpha[row] }
                beta[column] = nu[column] / dot
            }
        }
        return count
    }
}
