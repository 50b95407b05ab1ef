import Kernels
import NN
import OptimalTransport
import Synchronization
import Tensors

/// The fused multi-proxy score (paper Eq. 5-9) as one differentiable op with a hand-written
/// backward pass.
///
/// Forward, for features X (B, d, H, W) and proxies P (K, M, d):
/// 1. one sgemm S = X·Pᵀ gives every <X_j, P_km>, laid out (B·HW) x (K·M);
/// 2. the norms of the B·HW feature vectors and the K·M proxies are taken once;
/// 3. one pass forms the distance 1 - cos (and the cost (1 - cos)^p);
/// 4. each (sample, class) problem — an HW x M block of those buffers, read in place — gets its
///    matching flow w (the Sinkhorn plan, solved in cache) and its score Σ w ⊙ S.
///
/// Backward, given dL/ds (B, K): per problem, dL/dw = g·S goes through the flow (the Sinkhorn
/// adjoint, unrolled or implicit) to dL/dcos; one pass turns that into dL/dS and the norm terms;
/// then two sgemms give dL/dX = G·P and dL/dP = Gᵀ·X. Three GEMMs in all.
///
/// Zero feature vectors (whole ReLU-dead positions) are safe: norms are clamped at
/// `normEpsilon`, where the cosine is 0 and its norm derivative is taken as 0.
enum ProxyMatching {
    static let normEpsilon: Float = 1e-6

    struct Output {
        let scores: Tensor
        let statistics: MatchingStatistics
        /// The flow w, (B·HW) x (K·M): entry (b·HW + j, k·M + m).
        let flow: Tensor
    }

    static func apply(features: Tensor, proxies: Tensor, flow: MatchingFlow) -> Output {
        precondition(features.rank == 4 && proxies.rank == 3 && proxies.shape[2] == features.shape[1],
                     "multi-proxy matching: features \(Shape.describe(features.shape)) and proxies \(Shape.describe(proxies.shape)) must be (B, d, H, W) and (K, M, d)")
        let vectors = features.spatialVectors()
        let shape = ProblemShape(batch: features.shape[0], positions: features.shape[2] * features.shape[3],
                                 dimension: features.shape[1], classes: proxies.shape[0], proxies: proxies.shape[1])
        let proxyMatrix = proxies.contiguous()
        let recording = GradientMode.isRecording && (vectors.requiresGradient || proxies.requiresGradient)
        let forward = Forward(shape: shape, vectors: vectors, proxies: proxyMatrix, flow: flow, recordForBackward: recording)
        MultiplyAccumulateCounter.record(shape.rows * shape.columns * shape.dimension + forward.sinkhornMultiplyAccumulates)
        let scores = Tensor.differentiable("multiProxyMatching", inputs: [vectors, proxies], output: forward.scores) { g, needs in
            let gradients = forward.backward(g.contiguous(), needs: needs)
            return [gradients.vectors, gradients.proxies]
        }
        return Output(scores: scores, statistics: forward.statistics, flow: forward.flowWeights)
    }
}

/// The sizes of one batch of problems.
struct ProblemShape {
    let batch, positions, dimension, classes, proxies: Int
    var rows: Int { batch * positions }
    var columns: Int { classes * proxies }
    var problems: Int { batch * classes }
    /// Offset of problem (b, k)'s HW x M block in a rows x columns buffer.
    func blockOffset(_ problem: Int) -> Int {
        (problem / classes) * positions * columns + (problem % classes) * proxies
    }
}

/// The forward pass and everything its backward pass needs.
final class Forward: @unchecked Sendable {
    let shape: ProblemShape
    let flow: MatchingFlow
    let vectors: Tensor
    let proxies: Tensor
    /// S = <X_j, P_km>, (B·HW) x (K·M).
    let similarity: Tensor
    /// 1 - cos, clamped at 0.
    let distance: Tensor
    /// (1 - cos)^p when p ≠ 1 (otherwise the distance is the cost).
    let cost: Tensor?
    let flowWeights: Tensor
    let inverseVectorNorms: [Float]
    let inverseProxyNorms: [Float]
    /// Per-problem Sinkhorn records for the unrolled gradient.
    let records: Tensor?
    let recordLength: Int
    let scores: Tensor
    private(set) var statistics = MatchingStatistics.none
    private(set) var sinkhornMultiplyAccumulates = 0

    init(shape: ProblemShape, vectors: Tensor, proxies: Tensor, flow: MatchingFlow, recordForBackward: Bool) {
        self.shape = shape
        self.flow = flow
        self.vectors = vectors
        self.proxies = proxies
        let (rows, columns) = (shape.rows, shape.columns)
        similarity = Tensor(uninitializedShape: [rows, columns])
        BLAS.sgemm(transposeA: false, transposeB: true, m: rows, n: columns, k: shape.dimension,
                   a: vectors.storage.pointer, lda: shape.dimension, b: proxies.storage.pointer, ldb: shape.dimension,
                   c: similarity.storage.pointer, ldc: columns)
        inverseVectorNorms = Forward.inverseNorms(vectors.storage.pointer, count: rows, length: shape.dimension)
        inverseProxyNorms = Forward.inverseNorms(proxies.storage.pointer, count: columns, length: shape.dimension)
        distance = Tensor(uninitializedShape: [rows, columns])
        var exponent: Float = 1
        if case .wasserstein(let settings) = flow { exponent = settings.costExponent }
        Forward.distances(similarity, inverseVectorNorms, inverseProxyNorms, into: distance)
        cost = exponent == 1 ? nil : distance.mapped { VectorMath.pow($0, FloatVector(repeating: exponent)) }
        flowWeights = Tensor(uninitializedShape: [rows, columns])
        var recordLength = 0
        if case .wasserstein(let settings) = flow, settings.gradient == .unrolled, recordForBackward {
            recordLength = Sinkhorn.recordCount(columns: shape.proxies, maximumIterations: settings.sinkhorn.maximumIterations)
        }
        self.recordLength = recordLength
        records = recordLength > 0 ? Tensor(uninitializedShape: [shape.problems, recordLength]) : nil
        scores = Tensor(uninitializedShape: [shape.batch, shape.classes])
        solveProblems()
    }

    /// 1 / max(‖v‖, ε) for `count` vectors of `length` floats.
    static func inverseNorms(_ base: UnsafePointer<Float>, count: Int, length: Int) -> [Float] {
        var result = [Float](repeating: 0, count: count)
        result.withUnsafeMutableBufferPointer { out in
            let out = out.baseAddress!
            Parallel.forRanges(count, minimumChunk: max(1, 8192 / max(length, 1))) { range in
                for i in range {
                    let squares = VectorLoops.dot(base + i * length, base + i * length, count: length)
                    out[i] = 1 / max(squares.squareRoot(), ProxyMatching.normEpsilon)
                }
            }
        }
        return result
    }

    /// distance = max(0, 1 - S / (‖x‖·‖p‖)), one vectorised pass.
    static func distances(_ similarity: Tensor, _ inverseVectorNorms: [Float], _ inverseProxyNorms: [Float], into distance: Tensor) {
        let columns = similarity.shape[1]
        let s = similarity.storage.pointer, out = distance.storage.pointer
        inverseProxyNorms.withUnsafeBufferPointer { proxyNorms in
            inverseVectorNorms.withUnsafeBufferPointer { vectorNorms in
                let p = proxyNorms.baseAddress!, v = vectorNorms.baseAddress!
                Parallel.forRanges(similarity.shape[0], minimumChunk: max(1, 16384 / max(columns, 1))) { rows in
                    for row in rows {
                        let scale = FloatVector(repeating: v[row])
                        var c = 0
                        while c < columns {
                            let lanes = min(FloatVector.scalarCount, columns - c)
                            let cosine = VectorLoops.loadAny(s + row * columns + c, lanes) * scale * VectorLoops.loadAny(p + c, lanes)
                            VectorLoops.storeAny(VectorMath.maximum(1 - cosine, FloatVector()), out + row * columns + c, lanes)
                            c += FloatVector.scalarCount
                        }
                    }
                }
            }
        }
    }

    /// Each problem's flow into `flowWeights` and its score, in parallel and in cache.
    private func solveProblems() {
        let shape = shape, flow = flow
        let columns = shape.columns
        let costBuffer = (cost ?? distance).storage.pointer
        let similarityBuffer = similarity.storage.pointer, distanceBuffer = distance.storage.pointer
        let weights = flowWeights.storage.pointer, output = scores.storage.pointer
        let recordBuffer = records?.storage.pointer, recordLength = recordLength
        var iterations = [Int32](repeating: 0, count: shape.problems)
        var converged = [Bool](repeating: true, count: shape.problems)
        iterations.withUnsafeMutableBufferPointer { iterationCounts in
            converged.withUnsafeMutableBufferPointer { convergedFlags in
                let counts = iterationCounts.baseAddress!, flags = convergedFlags.baseAddress!
                ProblemLoop.run(problems: shape.problems, scratchCount: Sinkhorn.scratchCount(rows: shape.positions, columns: shape.proxies)) { problem, scratch in
                    let offset = shape.blockOffset(problem)
                    let plan = MutableMatrixView(weights + offset, rowStride: columns)
                    switch flow {
                    case .wasserstein(let settings):
                        let costView = MatrixView(costBuffer + offset, rowStride: columns)
                        let outcome = Sinkhorn.solve(SinkhornProblem(rows: shape.positions, columns: shape.proxies, cost: costView),
                                                     parameters: settings.sinkhorn, plan: plan, scratch: scratch,
                                                     record: recordBuffer.map { $0 + problem * recordLength })
                        counts[problem] = Int32(outcome.iterations)
                        flags[problem] = outcome.converged
                    case .cosine:
                        Forward.cosineWeights(distance: distanceBuffer + offset, rows: shape.positions, columns: shape.proxies,
                                              stride: columns, into: plan.base)
                    case .uniform:
                        let value = 1 / Float(shape.positions * shape.proxies)
                        for j in 0..<shape.positions { for m in 0..<shape.proxies { plan.base[j * columns + m] = value } }
                    }
                    var score: Float = 0
                    for j in 0..<shape.positions {
                        for m in 0..<shape.proxies { score += plan.base[j * columns + m] * similarityBuffer[offset + j * columns + m] }
                    }
                    output[problem] = score
                }
            }
        }
        if case .wasserstein = flow {
            let total = iterations.reduce(0) { $0 + Int($1) }
            statistics = MatchingStatistics(meanIterations: Double(total) / Double(max(shape.problems, 1)),
                                            maximumIterations: Int(iterations.max() ?? 0),
                                            convergedFraction: Double(converged.filter { $0 }.count) / Double(max(shape.problems, 1)))
            sinkhornMultiplyAccumulates = 2 * total * shape.positions * shape.proxies
        }
    }

    /// w ∝ 2 - distance = 1 + cos, normalised over the block.
    static func cosineWeights(distance: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int, into out: UnsafeMutablePointer<Float>) {
        var total: Float = 0
        for j in 0..<rows { for m in 0..<columns { total += 2 - distance[j * stride + m] } }
        let scale = 1 / max(total, .leastNormalMagnitude)
        for j in 0..<rows { for m in 0..<columns { out[j * stride + m] = (2 - distance[j * stride + m]) * scale } }
    }

    // MARK: Backward

    func backward(_ scoreGradient: Tensor, needs: [Bool]) -> (vectors: Tensor?, proxies: Tensor?) {
        let shape = shape, flow = flow
        let (rows, columns) = (shape.rows, shape.columns)
        // G starts as dL/dcos / (‖x‖·‖p‖) per entry; the pass below adds g·w to make it dL/dS.
        let combined = Tensor(uninitializedShape: [rows, columns])
        let g = scoreGradient.storage.pointer
        let similarityBuffer = similarity.storage.pointer, distanceBuffer = distance.storage.pointer
        let costBuffer = (cost ?? distance).storage.pointer
        let weights = flowWeights.storage.pointer, out = combined.storage.pointer
        let recordBuffer = records?.storage.pointer, recordLength = recordLength
        let block = shape.positions * shape.proxies
        let scratchCount = Sinkhorn.scratchCount(rows: shape.positions, columns: shape.proxies) + 2 * block
        inverseVectorNorms.withUnsafeBufferPointer { vectorNorms in
            inverseProxyNorms.withUnsafeBufferPointer { proxyNorms in
                let nx = vectorNorms.baseAddress!, np = proxyNorms.baseAddress!
                ProblemLoop.run(problems: shape.problems, scratchCount: scratchCount) { problem, scratch in
                    let offset = shape.blockOffset(problem)
                    let firstRow = (problem / shape.classes) * shape.positions
                    let firstColumn = (problem % shape.classes) * shape.proxies
                    let flowGradient = scratch, cosineGradient = scratch + block, workspace = scratch + 2 * block
                    let upstream = g[problem]
                    for j in 0..<shape.positions {
                        for m in 0..<shape.proxies {
                            flowGradient[j * shape.proxies + m] = upstream * similarityBuffer[offset + j * columns + m]
                        }
                    }
                    switch flow {
                    case .wasserstein(let settings):
                        let costView = MatrixView(costBuffer + offset, rowStride: columns)
                        let planGradient = MatrixView(flowGradient, rowStride: shape.proxies)
                        let costGradient = MutableMatrixView(cosineGradient, rowStride: shape.proxies)
                        switch settings.gradient {
                        case .unrolled:
                            Sinkhorn.unrolledCostGradient(SinkhornProblem(rows: shape.positions, columns: shape.proxies, cost: costView),
                                                          lambda: settings.sinkhorn.lambda, record: recordBuffer! + problem * recordLength,
                                                          planGradient: planGradient, costGradient: costGradient, scratch: workspace)
                        case .implicit:
                            Sinkhorn.implicitCostGradient(plan: MatrixView(weights + offset, rowStride: columns), rows: shape.positions,
                                                          columns: shape.proxies, lambda: settings.sinkhorn.lambda,
                                                          planGradient: planGradient, costGradient: costGradient, scratch: workspace)
                        }
                        // cost = distance^p and distance = 1 - cos: dcos = -dcost · p · distance^(p-1).
                        let p = settings.costExponent
                        for j in 0..<shape.positions {
                            for m in 0..<shape.proxies {
                                let d = distanceBuffer[offset + j * columns + m]
                                let slope = p == 1 ? 1 : p * ScalarMath.pow(d, p - 1)
                                cosineGradient[j * shape.proxies + m] *= -slope
                            }
                        }
                    case .cosine:
                        // w = u / Σu with u = 1 + cos: dL/du = (dL/dw - Σ dL/dw ⊙ w) / Σu.
                        var total: Float = 0, dot: Float = 0
                        for j in 0..<shape.positions {
                            for m in 0..<shape.proxies {
                                total += 2 - distanceBuffer[offset + j * columns + m]
                                dot += flowGradient[j * shape.proxies + m] * weights[offset + j * columns + m]
                            }
                        }
                        let scale = 1 / max(total, .leastNormalMagnitude)
                        for index in 0..<block { cosineGradient[index] = (flowGradient[index] - dot) * scale }
                    case .uniform:
                        for index in 0..<block { cosineGradient[index] = 0 }
                    }
                    for j in 0..<shape.positions {
                        let rowScale = nx[firstRow + j]
                        for m in 0..<shape.proxies {
                            out[offset + j * columns + m] = cosineGradient[j * shape.proxies + m] * rowScale * np[firstColumn + m]
                        }
                    }
                }
            }
        }
        // dL/dS = g·w + dcos/(‖x‖‖p‖); the norm terms need Σ over rows and columns of dcos·cos,
        // which equals the pre-update G ⊙ S.
        let (rowTerms, columnTerms) = Forward.completeCombinedGradient(combined, similarity: similarity, flow: flowWeights,
                                                                      scoreGradient: scoreGradient, shape: shape)
        var vectorGradient: Tensor?, proxyGradient: Tensor?
        if needs[0] {
            let result = Tensor(uninitializedShape: vectors.shape)
            BLAS.sgemm(transposeA: false, transposeB: false, m: rows, n: shape.dimension, k: columns,
                       a: combined.storage.pointer, lda: columns, b: proxies.storage.pointer, ldb: shape.dimension,
                       c: result.storage.pointer, ldc: shape.dimension)
            Forward.addNormTerms(result, values: vectors, terms: rowTerms, inverseNorms: inverseVectorNorms)
            vectorGradient = result
        }
        if needs[1] {
            let result = Tensor(uninitializedShape: proxies.shape)
            BLAS.sgemm(transposeA: true, transposeB: false, m: columns, n: shape.dimension, k: rows,
                       a: combined.storage.pointer, lda: columns, b: vectors.storage.pointer, ldb: shape.dimension,
                       c: result.storage.pointer, ldc: shape.dimension)
            Forward.addNormTerms(result, values: proxies, terms: columnTerms, inverseNorms: inverseProxyNorms)
            proxyGradient = result
        }
        return (vectorGradient, proxyGradient)
    }

    /// Turns G = dcos/(‖x‖‖p‖) into dL/dS = G + g_bk·w in place, and returns Σ_columns G ⊙ S per
    /// row and Σ_rows G ⊙ S per column (each equals Σ dcos·cos over that vector's entries).
    static func completeCombinedGradient(_ combined: Tensor, similarity: Tensor, flow: Tensor, scoreGradient: Tensor,
                                         shape: ProblemShape) -> (rows: [Float], columns: [Float]) {
        let (rows, columns) = (shape.rows, shape.columns)
        let parts = max(1, min(Threads.count, rows * columns / VectorLoops.parallelThreshold))
        var rowTerms = [Float](repeating: 0, count: rows)
        var partialColumns = [Float](repeating: 0, count: parts * columns)
        let gradient = combined.storage.pointer, s = similarity.storage.pointer, w = flow.storage.pointer
        let g = scoreGradient.storage.pointer
        rowTerms.withUnsafeMutableBufferPointer { rowBuffer in
            partialColumns.withUnsafeMutableBufferPointer { columnBuffer in
                let rowOut = rowBuffer.baseAddress!, columnOut = columnBuffer.baseAddress!
                Parallel.run(parts: parts) { part in
                    let columnSums = columnOut + part * columns
                    for row in (rows * part / parts)..<(rows * (part + 1) / parts) {
                        let sample = row / shape.positions
                        var rowSum = FloatVector()
                        var c = 0
                        while c < columns {
                            let lanes = min(FloatVector.scalarCount, columns - c)
                            let index = row * columns + c
                            let grad = VectorLoops.loadAny(gradient + index, lanes)
                            let product = grad * VectorLoops.loadAny(s + index, lanes)
                            rowSum += product
                            VectorLoops.storeAny(VectorLoops.loadAny(columnSums + c, lanes) + product, columnSums + c, lanes)
                            var upstream = FloatVector()
                            for lane in 0..<lanes { upstream[lane] = g[sample * shape.classes + (c + lane) / shape.proxies] }
                            VectorLoops.storeAny(grad.addingProduct(upstream, VectorLoops.loadAny(w + index, lanes)), gradient + index, lanes)
                            c += FloatVector.scalarCount
                        }
                        rowOut[row] = rowSum.sum()
                    }
                }
            }
        }
        var columnTerms = [Float](repeating: 0, count: columns)
        for part in 0..<parts { for c in 0..<columns { columnTerms[c] += partialColumns[part * columns + c] } }
        return (rowTerms, columnTerms)
    }

    /// gradient_i += -term_i / ‖v_i‖² · v_i, the path through the norm (zero where clamped).
    static func addNormTerms(_ gradient: Tensor, values: Tensor, terms: [Float], inverseNorms: [Float]) {
        let length = values.shape.last ?? 1
        let out = gradient.storage.pointer, v = values.storage.pointer
        let clampedInverse = 1 / ProxyMatching.normEpsilon
        terms.withUnsafeBufferPointer { terms in
            inverseNorms.withUnsafeBufferPointer { inverse in
                let t = terms.baseAddress!, n = inverse.baseAddress!
                Parallel.forRanges(terms.count, minimumChunk: max(1, 8192 / max(length, 1))) { range in
                    for i in range where n[i] < clampedInverse {
                        let factor = FloatVector(repeating: -t[i] * n[i] * n[i])
                        var c = 0
                        while c < length {
                            let lanes = min(FloatVector.scalarCount, length - c)
                            let index = i * length + c
                            VectorLoops.storeAny(VectorLoops.loadAny(out + index, lanes).addingProduct(factor, VectorLoops.loadAny(v + index, lanes)),
                                                 out + index, lanes)
                            c += FloatVector.scalarCount
                        }
                    }
                }
            }
        }
    }
}

/// Runs per-problem work across the thread pool: each thread gets one scratch buffer and takes
/// problems in small chunks from a shared counter, so uneven iteration counts still balance.
enum ProblemLoop {
    static let chunk = 8

    static func run(problems: Int, scratchCount: Int, _ body: (Int, UnsafeMutablePointer<Float>) -> Void) {
        let parts = max(1, min(Threads.count, (problems + chunk - 1) / chunk))
        let next = Atomic<Int>(0)
        Parallel.run(parts: parts) { _ in
            let scratch = AlignedMemory.allocate(count: scratchCount)
            defer { AlignedMemory.release(scratch, count: scratchCount) }
            while true {
                let start = next.add(chunk, ordering: .relaxed).oldValue
                if start >= problems { break }
                for problem in start..<min(problems, start + chunk) { body(problem, scratch) }
            }
        }
    }
}
