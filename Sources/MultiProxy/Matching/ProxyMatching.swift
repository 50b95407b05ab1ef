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

    /// Each problem's flow into `flowWeights` (in parallel, each solved in cache), then every
    /// score Σ w ⊙ S in one vectorised pass over the rows.
    private func solveProblems() {
        let shape = shape, flow = flow
        let columns = shape.columns
        let costBuffer = (cost ?? distance).storage.pointer
        let distanceBuffer = distance.storage.pointer
        let weights = flowWeights.storage.pointer
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
                }
            }
        }
        Forward.blockSums(of: flowWeights, times: similarity, shape: shape, into: scores.storage.pointer)
        if case .wasserstein = flow {
            let total = iterations.reduce(0) { $0 + Int($1) }
            statistics = MatchingStatistics(meanIterations: Double(total) / Double(max(shape.problems, 1)),
                                            maximumIterations: Int(iterations.max() ?? 0),
                                            convergedFraction: Double(converged.filter { $0 }.count) / Double(max(shape.problems, 1)))
            sinkhornMultiplyAccumulates = 2 * total * shape.positions * shape.proxies
        }
    }

    /// out[b, k] = Σ_j Σ_m a[b·HW + j, k·M + m] · b[b·HW + j, k·M + m]: each sample's rows are
    /// multiplied and summed lane-wise into one K·M row, whose groups of M are then added.
    static func blockSums(of a: Tensor, times b: Tensor, shape: ProblemShape, into out: UnsafeMutablePointer<Float>) {
        let columns = shape.columns
        let x = a.storage.pointer, y = b.storage.pointer
        Parallel.forRanges(shape.batch) { samples in
            let row = UnsafeMutablePointer<Float>.allocate(capacity: columns)
            defer { row.deallocate() }
            for sample in samples {
                row.initialize(repeating: 0, count: columns)
                for j in 0..<shape.positions {
                    let offset = (sample * shape.positions + j) * columns
                    var c = 0
                    while c < columns {
                        let lanes = min(FloatVector.scalarCount, columns - c)
                        let product = VectorLoops.loadAny(x + offset + c, lanes) * VectorLoops.loadAny(y + offset + c, lanes)
                        VectorLoops.storeAny(VectorLoops.loadAny(row + c, lanes) + product, row + c, lanes)
                        c += FloatVector.scalarCount
                    }
                }
                for k in 0..<shape.classes {
                    var total: Float = 0
                    for m in 0..<shape.proxies { total += row[k * shape.proxies + m] }
                    out[sample * shape.classes + k] = total
                }
            }
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

    /// The per-entry upstream factor g_bk, repeated over the M proxies of class k: row b of a
    /// (B, K·M) buffer.
    private func expandedScoreGradient(_ scoreGradient: Tensor) -> Tensor {
        let shape = shape
        let expanded = Tensor(uninitializedShape: [shape.batch, shape.columns])
        let g = scoreGradient.storage.pointer, out = expanded.storage.pointer
        for sample in 0..<shape.batch {
            for c in 0..<shape.columns { out[sample * shape.columns + c] = g[sample * shape.classes + c / shape.proxies] }
        }
        return expanded
    }

    func backward(_ scoreGradient: Tensor, needs: [Bool]) -> (vectors: Tensor?, proxies: Tensor?) {
        let shape = shape
        let (rows, columns) = (shape.rows, shape.columns)
        let upstream = expandedScoreGradient(scoreGradient)
        // dL/dw = g_bk · S, one vectorised pass.
        let flowGradient = Tensor(uninitializedShape: [rows, columns])
        Forward.scaleRows(similarity, by: upstream, shape: shape, into: flowGradient)
        // dL/dcos per entry: through the flow, problem by problem.
        let cosineGradient = Tensor(uninitializedShape: [rows, columns])
        cosineGradients(flowGradient: flowGradient, into: cosineGradient)
        // dL/dS = g·w + dcos/(‖x‖‖p‖) and the norm terms Σ dcos·cos, one fused pass.
        let combined = Tensor(uninitializedShape: [rows, columns])
        let (rowTerms, columnTerms) = Forward.combinedGradient(cosineGradient: cosineGradient, similarity: similarity, flow: flowWeights,
                                                              upstream: upstream, inverseVectorNorms: inverseVectorNorms,
                                                              inverseProxyNorms: inverseProxyNorms, shape: shape, into: combined)
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

    /// out[r, c] = a[r, c] · expanded[sample of r, c].
    static func scaleRows(_ a: Tensor, by expanded: Tensor, shape: ProblemShape, into out: Tensor) {
        let columns = shape.columns
        let x = a.storage.pointer, g = expanded.storage.pointer, o = out.storage.pointer
        Parallel.forRanges(shape.rows, minimumChunk: max(1, 16384 / max(columns, 1))) { range in
            for row in range {
                let factors = g + (row / shape.positions) * columns
                var c = 0
                while c < columns {
                    let lanes = min(FloatVector.scalarCount, columns - c)
                    VectorLoops.storeAny(VectorLoops.loadAny(x + row * columns + c, lanes) * VectorLoops.loadAny(factors + c, lanes),
                                         o + row * columns + c, lanes)
                    c += FloatVector.scalarCount
                }
            }
        }
    }

    /// dL/dcos for every entry from dL/dw: the Sinkhorn adjoint (unrolled or implicit) and the
    /// derivative of the cost (1 - cos)^p for the transport flow; the normalisation's derivative
    /// for the cosine flow; zero for the uniform flow.
    private func cosineGradients(flowGradient: Tensor, into out: Tensor) {
        let shape = shape
        let columns = shape.columns
        let planGradients = flowGradient.storage.pointer, result = out.storage.pointer
        let weights = flowWeights.storage.pointer, distanceBuffer = distance.storage.pointer
        switch flow {
        case .uniform:
            VectorLoops.fill(result, count: out.count, with: 0)
        case .cosine:
            // w = u / Σu with u = 1 + cos: dL/du = (dL/dw - Σ dL/dw ⊙ w) / Σu.
            ProblemLoop.run(problems: shape.problems, scratchCount: 1) { problem, _ in
                let offset = shape.blockOffset(problem)
                var total: Float = 0, dot: Float = 0
                for j in 0..<shape.positions {
                    for m in 0..<shape.proxies {
                        let index = offset + j * columns + m
                        total += 2 - distanceBuffer[index]
                        dot += planGradients[index] * weights[index]
                    }
                }
                let scale = 1 / max(total, .leastNormalMagnitude)
                for j in 0..<shape.positions {
                    for m in 0..<shape.proxies {
                        let index = offset + j * columns + m
                        result[index] = (planGradients[index] - dot) * scale
                    }
                }
            }
        case .wasserstein(let settings):
            let costBuffer = (cost ?? distance).storage.pointer
            let recordBuffer = records?.storage.pointer, recordLength = recordLength
            ProblemLoop.run(problems: shape.problems, scratchCount: Sinkhorn.scratchCount(rows: shape.positions, columns: shape.proxies)) { problem, scratch in
                let offset = shape.blockOffset(problem)
                let planGradient = MatrixView(planGradients + offset, rowStride: columns)
                let costGradient = MutableMatrixView(result + offset, rowStride: columns)
                switch settings.gradient {
                case .unrolled:
                    Sinkhorn.unrolledCostGradient(SinkhornProblem(rows: shape.positions, columns: shape.proxies,
                                                                  cost: MatrixView(costBuffer + offset, rowStride: columns)),
                                                  lambda: settings.sinkhorn.lambda, record: recordBuffer! + problem * recordLength,
                                                  planGradient: planGradient, costGradient: costGradient, scratch: scratch)
                case .implicit:
                    Sinkhorn.implicitCostGradient(plan: MatrixView(weights + offset, rowStride: columns), rows: shape.positions,
                                                  columns: shape.proxies, lambda: settings.sinkhorn.lambda,
                                                  planGradient: planGradient, costGradient: costGradient, scratch: scratch)
                }
            }
            // cost = distance^p and distance = 1 - cos: dcos = -dcost · p · distance^(p-1).
            let p = settings.costExponent
            if p == 1 {
                VectorLoops.map(result, result, count: out.count) { -$0 }
            } else {
                VectorLoops.zip(result, distanceBuffer, result, count: out.count) { g, d in
                    -g * p * VectorMath.pow(d, FloatVector(repeating: p - 1))
                }
            }
        }
    }

    /// Writes dL/dS = dcos/(‖x‖·‖p‖) + g·w into `out` and returns Σ_columns and Σ_rows of
    /// dcos/(‖x‖‖p‖) ⊙ S (each equals Σ dcos·cos over that vector's entries), for the norm terms.
    static func combinedGradient(cosineGradient: Tensor, similarity: Tensor, flow: Tensor, upstream: Tensor,
                                 inverseVectorNorms: [Float], inverseProxyNorms: [Float], shape: ProblemShape,
                                 into out: Tensor) -> (rows: [Float], columns: [Float]) {
        let (rows, columns) = (shape.rows, shape.columns)
        let parts = max(1, min(Threads.count, rows * columns / VectorLoops.parallelThreshold))
        var rowTerms = [Float](repeating: 0, count: rows)
        var partialColumns = [Float](repeating: 0, count: parts * columns)
        let dcos = cosineGradient.storage.pointer, s = similarity.storage.pointer, w = flow.storage.pointer
        let g = upstream.storage.pointer, result = out.storage.pointer
        rowTerms.withUnsafeMutableBufferPointer { rowBuffer in
            partialColumns.withUnsafeMutableBufferPointer { columnBuffer in
                inverseVectorNorms.withUnsafeBufferPointer { vectorNorms in
                    inverseProxyNorms.withUnsafeBufferPointer { proxyNorms in
                        let rowOut = rowBuffer.baseAddress!, columnOut = columnBuffer.baseAddress!
                        let nx = vectorNorms.baseAddress!, np = proxyNorms.baseAddress!
                        Parallel.run(parts: parts) { part in
                            let columnSums = columnOut + part * columns
                            for row in (rows * part / parts)..<(rows * (part + 1) / parts) {
                                let factors = g + (row / shape.positions) * columns
                                let rowScale = FloatVector(repeating: nx[row])
                                var rowSum = FloatVector()
                                var c = 0
                                while c < columns {
                                    let lanes = min(FloatVector.scalarCount, columns - c)
                                    let index = row * columns + c
                                    let scaled = VectorLoops.loadAny(dcos + index, lanes) * rowScale * VectorLoops.loadAny(np + c, lanes)
                                    let product = scaled * VectorLoops.loadAny(s + index, lanes)
                                    rowSum += product
                                    VectorLoops.storeAny(VectorLoops.loadAny(columnSums + c, lanes) + product, columnSums + c, lanes)
                                    VectorLoops.storeAny(scaled.addingProduct(VectorLoops.loadAny(factors + c, lanes), VectorLoops.loadAny(w + index, lanes)),
                                                         result + index, lanes)
                                    c += FloatVector.scalarCount
                                }
                                rowOut[row] = rowSum.sum()
                            }
                        }
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
