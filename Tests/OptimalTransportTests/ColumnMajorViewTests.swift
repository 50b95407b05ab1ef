import Testing
import Tensors
import TestSupport
@testable import OptimalTransport

/// Column-major blocks (each of the m columns contiguous, as in a (classes x m, n) product) give
/// bit for bit the plans and gradients of the same problems read row-major.
@Suite struct ColumnMajorViewTests {
    @Test(arguments: [SinkhornGradient.unrolled, .implicit], [4, 3])
    func columnMajorViewsMatchRowMajorOnes(_ gradient: SinkhornGradient, columns: Int) {
        let rows = 37, classes = 3, width = classes * columns
        let parameters = SinkhornParameters.paper
        let recordCount = Sinkhorn.recordCount(columns: columns, maximumIterations: parameters.maximumIterations)
        let costs = randomTensor([rows, width], seed: 61, lower: 0, upper: 2).scalars
        let upstream = randomTensor([rows, width], seed: 62).scalars
        /// The same numbers laid out (width, rows): column c of the wide matrix is row c here.
        func transposed(_ values: [Float]) -> [Float] { (0..<width).flatMap { c in (0..<rows).map { values[$0 * width + c] } } }
        let costsT = transposed(costs), upstreamT = transposed(upstream)

        func solveAll(columnMajor: Bool) -> (plans: [Float], gradients: [Float], outcomes: [SinkhornOutcome]) {
            var plans = [Float](repeating: .nan, count: rows * width), costGradients = plans
            var scratch = [Float](repeating: .nan, count: Sinkhorn.scratchCount(rows: rows, columns: columns))
            var record = [Float](repeating: .nan, count: recordCount)
            var outcomes: [SinkhornOutcome] = []
            let cost = columnMajor ? costsT : costs, upstreamValues = columnMajor ? upstreamT : upstream
            cost.withUnsafeBufferPointer { c in
                upstreamValues.withUnsafeBufferPointer { u in
                    plans.withUnsafeMutableBufferPointer { p in
                        costGradients.withUnsafeMutableBufferPointer { g in
                            scratch.withUnsafeMutableBufferPointer { s in
                                record.withUnsafeMutableBufferPointer { r in
                                    for k in 0..<classes {
                                        func view(_ base: UnsafePointer<Float>) -> MatrixView {
                                            columnMajor ? MatrixView(base + k * columns * rows, columnStride: rows)
                                                : MatrixView(base + k * columns, rowStride: width)
                                        }
                                        func mutableView(_ base: UnsafeMutablePointer<Float>) -> MutableMatrixView {
                                            columnMajor ? MutableMatrixView(base + k * columns * rows, columnStride: rows)
                                                : MutableMatrixView(base + k * columns, rowStride: width)
                                        }
                                        let problem = SinkhornProblem(rows: rows, columns: columns, cost: view(c.baseAddress!))
                                        let plan = mutableView(p.baseAddress!)
                                        outcomes.append(Sinkhorn.solve(problem, parameters: parameters, plan: plan, scratch: s.baseAddress!,
                                                                       record: r.baseAddress!))
                                        switch gradient {
                                        case .unrolled:
                                            Sinkhorn.unrolledCostGradient(problem, lambda: parameters.lambda, record: r.baseAddress!,
                                                                          planGradient: view(u.baseAddress!), costGradient: mutableView(g.baseAddress!),
                                                                          scratch: s.baseAddress!)
                                        case .implicit:
                                            Sinkhorn.implicitCostGradient(plan: plan.readOnly, rows: rows, columns: columns, lambda: parameters.lambda,
                                                                          planGradient: view(u.baseAddress!), costGradient: mutableView(g.baseAddress!),
                                                                          scratch: s.baseAddress!)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return columnMajor ? (transposedBack(plans), transposedBack(costGradients), outcomes) : (plans, costGradients, outcomes)
        }
        /// (width, rows) back to (rows, width).
        func transposedBack(_ values: [Float]) -> [Float] { (0..<rows).flatMap { j in (0..<width).map { values[$0 * rows + j] } } }

        let rowMajor = solveAll(columnMajor: false), columnMajor = solveAll(columnMajor: true)
        #expect(columnMajor.plans == rowMajor.plans)
        #expect(columnMajor.gradients == rowMajor.gradients)
        #expect(columnMajor.outcomes == rowMajor.outcomes)
    }
}
