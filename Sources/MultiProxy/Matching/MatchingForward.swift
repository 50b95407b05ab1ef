import Kernels
import OptimalTransport
import Synchronization
import Tensors

/// The forward pass of `ProxyMatching` and everything its backward pass needs.
final class MatchingForward: @unchecked Sendable {
    let shape: ProblemShape
    let flow: MatchingFlow
    let vectors: Tensor
    let proxies: Tensor
    /// S = <X_j, P_km>, (K·M) x (B·HW).
    let similarity: Tensor
    /// The matching flow w, same layout; nil when neither the backward pass nor the caller needs
    /// it (evaluation), so that each problem's plan lives only in its thread's scratch and the
    /// pass neither writes nor re-reads a buffer as large as S.
    let plan: Tensor?
    /// 1 / max(‖x_j‖, ε) per feature vector and 1 / max(‖p_km‖, ε) per proxy.
    let inverseVectorNorms: Tensor
    let inverseProxyNorms: Tensor
    /// Per-problem Sinkhorn records for the unrolled gradient.
    let records: Tensor?
    let recordLength: Int
    let scores: Tensor
    private(set) var statistics = MatchingStatistics.none
    private(set) var sinkhornMultiplyAccumulates = 0

    init(shape: ProblemShape, vectors: Tensor, proxies: Tensor, flow: MatchingFlow, recordForBackward: Bool, keepsPlan: Bool,
         firstRound: Int) {
        self.shape = shape
        self.flow = flow
        self.vectors = vectors
        self.proxies = proxies
        similarity = Tensor(uninitializedShape: [shape.columns, shape.rows])
        PackedGEMM.multiply(m: shape.columns, n: shape.rows, k: shape.dimension, a: proxies.storage.pointer, transposeA: false,
                            b: vectors.storage.pointer, transposeB: true, c: similarity.storage.pointer)
        inverseVectorNorms = MatchingForward.inverseNorms(vectors.storage.pointer, count: shape.rows, length: shape.dimension)
        inverseProxyNorms = MatchingForward.inverseNorms(proxies.storage.pointer, count: shape.columns, length: shape.dimension)
        let batchRule: Bool
        if case .wasserstein(let settings) = flow { batchRule = settings.sinkhorn.stopRule == .batchAbsolute } else { batchRule = false }
        plan = keepsPlan || recordForBackward || batchRule ? Tensor(uninitializedShape: [shape.columns, shape.rows]) : nil
        var recordLength = 0
        if case .wasserstein(let settings) = flow {
            precondition(settings.sinkhorn.relaxation == nil || settings.gradient == .unrolled,
                         "multi-proxy matching: unbalanced transport has the unrolled gradient only")
            if settings.sinkhorn.stopRule == .batchAbsolute {
                // The batch rule's rounds continue from the recorded betas, gradient or not.
                recordLength = Sinkhorn.recordCount(columns: shape.proxies, maximumIterations: settings.sinkhorn.maximumIterations)
            } else if recordForBackward {
                recordLength = Sinkhorn.recordCount(rows: shape.positions, columns: shape.proxies,
                                                    maximumIterations: settings.sinkhorn.maximumIterations, gradient: settings.gradient)
            }
        }
        self.recordLength = recordLength
        records = recordLength > 0 ? Tensor(uninitializedShape: [shape.problems, recordLength]) : nil
        scores = Tensor(uninitializedShape: [shape.batch, shape.classes])
        if case .wasserstein(let settings) = flow, settings.sinkhorn.stopRule == .batchAbsolute {
            solveWithBatchRule(settings, firstRound: firstRound)
        } else {
            solveProblems()
        }
    }

    /// The problem's score Σ w ⊙ S, divided by Σ w when the flow asks for it; the flow's M runs
    /// start every `flowStride` floats: `rows` in the plan buffer, or HW in scratch, where
    /// `gathered` (HW x M floats) receives S's runs so both operands share one stride and the sum
    /// runs in the same order either way.
    @inline(__always)
    func score(_ problem: Int, flow weights: UnsafePointer<Float>, flowStride: Int, gathered: UnsafeMutablePointer<Float>? = nil) -> Float {
        let s = similarity.storage.pointer + shape.blockOffset(problem)
        let total: Float
        if let gathered, flowStride != shape.rows {
            for m in 0..<shape.proxies { (gathered + m * flowStride).update(from: s + m * shape.rows, count: shape.positions) }
            total = BlockLoops.dot(weights, gathered, runs: shape.proxies, stride: flowStride, count: shape.positions)
        } else {
            precondition(flowStride == shape.rows, "MatchingForward.score: a flow in scratch needs a gathering buffer")
            total = BlockLoops.dot(weights, s, runs: shape.proxies, stride: shape.rows, count: shape.positions)
        }
        guard case .wasserstein(let settings) = flow, settings.normalizesScoreByMass else { return total }
        return total / Self.mass(weights, stride: flowStride, shape: shape)
    }

    /// Σ w over one problem's M runs (every `stride` floats), kept away from 0.
    static func mass(_ weights: UnsafePointer<Float>, stride: Int, shape: ProblemShape) -> Float {
        var total: Float = 0
        for m in 0..<shape.proxies { total += VectorLoops.sum(weights + m * stride, count: shape.positions) }
        return max(total, .leastNormalMagnitude)
    }

    /// The batch stopping rule: every problem in cache as before, in rounds (`BatchStopping`),
    /// with one iteration count for the batch.
    private func solveWithBatchRule(_ settings: WassersteinMatching, firstRound: Int) {
        let shape = shape
        let positions = shape.positions, rows = shape.rows
        let weights = plan!.storage.pointer, output = scores.storage.pointer
        let recordBuffer = records!.storage.pointer, recordLength = recordLength
        let run = BatchStopping.run(problems: shape.problems, points: shape.problems * positions,
                                    threshold: settings.sinkhorn.threshold, maximumIterations: settings.sinkhorn.maximumIterations,
                                    firstTarget: firstRound) { target, available, changes in
            ProblemLoop.run(problems: shape.problems, scratchCount: problemScratch) { problem, scratch, _ in
                let offset = shape.blockOffset(problem)
                let distance = scratch, exponentCost = scratch + shape.block, workspace = scratch + 4 * shape.block
                let cost = settings.costExponent == 1 ? distance : exponentCost
                self.formCost(problem, distance: distance, cost: cost)
                Sinkhorn.solveIterations(
                    SinkhornProblem(rows: positions, columns: shape.proxies, cost: MatrixView(cost, columnStride: positions)),
                    parameters: settings.sinkhorn, iterations: target, available: available,
                    changes: changes.map { $0 + problem * (target - available) },
                    plan: MutableMatrixView(weights + offset, columnStride: rows), scratch: workspace,
                    record: recordBuffer + problem * recordLength)
                output[shape.scoreIndex(problem)] = self.score(problem, flow: weights + offset, flowStride: rows)
            }
        }
        statistics = MatchingStatistics(meanIterations: Double(run.iterations), maximumIterations: run.iterations,
                                        convergedFraction: run.converged ? 1 : 0)
        sinkhornMultiplyAccumulates = 2 * run.iterations * shape.problems * shape.block
    }

    /// 1 / max(‖v‖, ε) for `count` vectors of `length` floats.
    static func inverseNorms(_ base: UnsafePointer<Float>, count: Int, length: Int) -> Tensor {
        let result = Tensor(uninitializedShape: [count])
        let out = result.storage.pointer
        Parallel.forRanges(count, minimumChunk: max(1, 8192 / max(length, 1))) { range in
            for i in range {
                let squares = VectorLoops.dot(base + i * length, base + i * length, count: length)
                out[i] = 1 / max(squares.squareRoot(), ProxyMatching.normEpsilon)
            }
        }
        return result
    }

    /// Scratch floats one problem needs beyond the Sinkhorn kernels' own.
    var problemScratch: Int { Sinkhorn.scratchCount(rows: shape.positions, columns: shape.proxies) + 4 * shape.block }

    /// The problem's distances 1 - cos into `distance` and its cost into `cost` (the same buffer
    /// when p = 1), both HW x M column-major.
    func formCost(_ problem: Int, distance: UnsafeMutablePointer<Float>, cost: UnsafeMutablePointer<Float>) {
        let (positions, rows) = (shape.positions, shape.rows)
        let offset = shape.blockOffset(problem), firstRow = shape.sample(problem) * positions
        let s = similarity.storage.pointer
        let vectorNorms = inverseVectorNorms.storage.pointer + firstRow, proxyNorms = inverseProxyNorms.storage.pointer
        for m in 0..<shape.proxies {
            BlockLoops.cosineDistance(s + offset + m * rows, proxyScale: proxyNorms[shape.firstProxy(problem) + m], vectorScales: vectorNorms,
                                      into: distance + m * positions, count: positions)
        }
        if case .wasserstein(let settings) = flow, settings.costExponent != 1 {
            let p = FloatVector(repeating: settings.costExponent)
            VectorLoops.map(distance, cost, count: shape.block) { VectorMath.pow($0, p) }
        }
    }

    /// Each problem's flow into `plan` and its score Σ w ⊙ S, in parallel, each in cache.
    private func solveProblems() {
        let shape = shape, flow = flow
        let rows = shape.rows, positions = shape.positions
        let keptPlan = plan?.storage.pointer, output = scores.storage.pointer
        let recordBuffer = records?.storage.pointer, recordLength = recordLength
        var iterations = [Int32](repeating: 0, count: shape.problems)
        var converged = [Bool](repeating: true, count: shape.problems)
        iterations.withUnsafeMutableBufferPointer { iterationCounts in
            converged.withUnsafeMutableBufferPointer { convergedFlags in
                let counts = iterationCounts.baseAddress!, flags = convergedFlags.baseAddress!
                ProblemLoop.run(problems: shape.problems, scratchCount: problemScratch) { problem, scratch, _ in
                    let offset = shape.blockOffset(problem)
                    let distance = scratch, exponentCost = scratch + shape.block, workspace = scratch + 4 * shape.block
                    // Without a plan buffer the flow goes to the scratch block the backward uses for dL/dw.
                    let out = keptPlan.map { MutableMatrixView($0 + offset, columnStride: rows) }
                        ?? MutableMatrixView(scratch + 2 * shape.block, columnStride: positions)
                    switch flow {
                    case .wasserstein(let settings):
                        let cost = settings.costExponent == 1 ? distance : exponentCost
                        self.formCost(problem, distance: distance, cost: cost)
                        let outcome = Sinkhorn.solve(SinkhornProblem(rows: positions, columns: shape.proxies, cost: MatrixView(cost, columnStride: positions)),
                                                     parameters: settings.sinkhorn, plan: out, scratch: workspace,
                                                     record: recordBuffer.map { $0 + problem * recordLength })
                        counts[problem] = Int32(outcome.iterations)
                        flags[problem] = outcome.converged
                    case .cosine:
                        self.formCost(problem, distance: distance, cost: distance)
                        // w = (2 - distance) / Σ (2 - distance) = (1 + cos) / Σ (1 + cos).
                        let total = 2 * Float(shape.block) - VectorLoops.sum(distance, count: shape.block)
                        let scale = 1 / max(total, .leastNormalMagnitude)
                        for m in 0..<shape.proxies {
                            BlockLoops.affine(distance + m * positions, -scale, 2 * scale, into: out.base + m * out.columnStride, count: positions)
                        }
                    case .uniform:
                        let value = 1 / Float(shape.block)
                        for m in 0..<shape.proxies { (out.base + m * out.columnStride).update(repeating: value, count: positions) }
                    }
                    output[shape.scoreIndex(problem)] = self.score(problem, flow: out.base, flowStride: out.columnStride,
                                                                    gathered: scratch + 3 * shape.block)
                }
            }
        }
        if case .wasserstein = flow {
            let total = iterations.reduce(0) { $0 + Int($1) }
            statistics = MatchingStatistics(meanIterations: Double(total) / Double(max(shape.problems, 1)),
                                            maximumIterations: Int(iterations.max() ?? 0),
                                            convergedFraction: Double(converged.filter { $0 }.count) / Double(max(shape.problems, 1)))
            sinkhornMultiplyAccumulates = 2 * total * shape.block
        }
    }
}

/// Runs per-problem work across the thread pool: each thread gets one scratch buffer and its part
/// index, and takes problems in small chunks from a shared counter, so uneven iteration counts
/// still balance.
enum ProblemLoop {
    static let chunk = 8

    /// The number of parts (threads) `run` uses for `problems` problems.
    static func parts(for problems: Int) -> Int { max(1, min(Threads.count, (problems + chunk - 1) / chunk)) }

    static func run(problems: Int, scratchCount: Int, _ body: (_ problem: Int, _ scratch: UnsafeMutablePointer<Float>, _ part: Int) -> Void) {
        let next = Atomic<Int>(0)
        Parallel.run(parts: parts(for: problems)) { part in
            let scratch = AlignedMemory.allocate(count: scratchCount)
            defer { AlignedMemory.release(scratch, count: scratchCount) }
            while true {
                let start = next.add(chunk, ordering: .relaxed).oldValue
                if start >= problems { break }
                for problem in start..<min(problems, start + chunk) { body(problem, scratch, part) }
            }
        }
    }
}
