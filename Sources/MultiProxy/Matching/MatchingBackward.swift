import Kernels
import OptimalTransport
import Tensors

extension MatchingForward {
    /// dL/dX (as (B, HW, d) feature vectors) and dL/dP from dL/ds.
    func backward(_ scoreGradient: Tensor, needs: [Bool]) -> (vectors: Tensor?, proxies: Tensor?) {
        let shape = shape
        let (rows, columns, positions) = (shape.rows, shape.columns, shape.positions)
        let combined = Tensor(uninitializedShape: [columns, rows])
        // Each problem's share of the norm terms (Σ dcos·cos per feature vector and per proxy),
        // kept per problem and summed afterwards in a fixed order: summing as problems finish
        // would make the result depend on which thread took which problem.
        let problemVectorTerms = Tensor(uninitializedShape: [shape.problems, positions])
        let problemProxyTerms = Tensor(uninitializedShape: [shape.problems, shape.proxies])
        let g = scoreGradient.storage.pointer
        let s = similarity.storage.pointer
        let w = plan!.storage.pointer
        let out = combined.storage.pointer
        let recordBuffer = records?.storage.pointer
        let recordLength = recordLength
        let nx = inverseVectorNorms.storage.pointer
        let np = inverseProxyNorms.storage.pointer
        let vectorTermsOut = problemVectorTerms.storage.pointer, proxyTermsOut = problemProxyTerms.storage.pointer
        ProblemLoop.run(problems: shape.problems, scratchCount: problemScratch) { problem, scratch, _ in
            let offset = shape.blockOffset(problem)
            let firstRow = shape.sample(problem) * positions
            let firstProxy = shape.firstProxy(problem)
            let distance = scratch
            let cost = scratch + shape.block
            let flowGradient = scratch + 2 * shape.block
            let cosineGradient = scratch + 3 * shape.block
            let workspace = scratch + 4 * shape.block
            var upstream = g[shape.scoreIndex(problem)]
            var shift: Float = 0
            if case .wasserstein(let settings) = self.flow, settings.normalizesScoreByMass {
                // s = Σ w ⊙ S / Σ w: dL/dw = g·(S - s) / Σ w, and dL/dS = g·w / Σ w.
                upstream /= Self.mass(w + offset, stride: rows, shape: shape)
                shift = -upstream * self.scores.storage.pointer[shape.scoreIndex(problem)]
            }
            // dL/dw = g·S, column-major HW x M.
            for m in 0..<shape.proxies {
                BlockLoops.affine(s + offset + m * rows, upstream, shift, into: flowGradient + m * positions, count: positions)
            }
            self.cosineGradient(
                problem, flowGradient: flowGradient, distance: distance, cost: cost,
                record: recordBuffer.map { $0 + problem * recordLength }, workspace: workspace, into: cosineGradient)
            // dL/dS = dcos/(‖x‖‖p‖) + g·w; the norm terms take dcos/(‖x‖‖p‖) ⊙ S.
            let vectorTerms = vectorTermsOut + problem * positions
            vectorTerms.update(repeating: 0, count: positions)
            for m in 0..<shape.proxies {
                let run = offset + m * rows
                proxyTermsOut[problem * shape.proxies + m] = BlockLoops.similarityGradient(
                    cosineGradient: cosineGradient + m * positions, similarity: s + run, flow: w + run, upstream: upstream,
                    proxyScale: np[firstProxy + m], vectorScales: nx + firstRow, vectorTerms: vectorTerms, into: out + run, count: positions)
            }
        }
        // Problem p = k·B + b: feature vector (b, j) sums over k, proxy (k, m) over b.
        var rowTerms = [Float](repeating: 0, count: rows)
        var columnTerms = [Float](repeating: 0, count: columns)
        rowTerms.withUnsafeMutableBufferPointer { rowSums in
            for k in 0..<shape.classes {
                // Class k's problems for samples 0..<B are consecutive: their HW runs line up with the B·HW feature vectors.
                VectorLoops.accumulateSerial(vectorTermsOut + k * rows, into: rowSums.baseAddress!, count: rows)
            }
        }
        for k in 0..<shape.classes {
            for b in 0..<shape.batch {
                let problem = k * shape.batch + b
                for m in 0..<shape.proxies { columnTerms[k * shape.proxies + m] += proxyTermsOut[problem * shape.proxies + m] }
            }
        }
        var vectorGradient: Tensor?
        var proxyGradient: Tensor?
        if needs[0] {
            let result = Tensor(uninitializedShape: vectors.shape)
            PackedGEMM.multiply(m: rows, n: shape.dimension, k: columns, a: out, transposeA: true,
                                b: proxies.storage.pointer, transposeB: false, c: result.storage.pointer)
            Self.addNormTerms(result, values: vectors, terms: rowTerms, inverseNorms: inverseVectorNorms)
            vectorGradient = result
        }
        if needs[1] {
            let result = Tensor(uninitializedShape: proxies.shape)
            PackedGEMM.multiply(m: columns, n: shape.dimension, k: rows, a: out, transposeA: false,
                                b: vectors.storage.pointer, transposeB: false, c: result.storage.pointer)
            Self.addNormTerms(result, values: proxies, terms: columnTerms, inverseNorms: inverseProxyNorms)
            proxyGradient = result
        }
        return (vectorGradient, proxyGradient)
    }

    /// One problem's dL/dcos (HW x M, column-major) from dL/dw: through the Sinkhorn adjoint and
    /// the cost (1 - cos)^p for the transport flow, through the normalisation for the cosine
    /// flow, zero for the uniform flow.
    private func cosineGradient(
        _ problem: Int, flowGradient: UnsafeMutablePointer<Float>,
        distance: UnsafeMutablePointer<Float>,
        cost: UnsafeMutablePointer<Float>, record: UnsafeMutablePointer<Float>?,
        workspace: UnsafeMutablePointer<Float>, into result: UnsafeMutablePointer<Float>
    ) {
        let (positions, block) = (shape.positions, shape.block)
        let flowView = MatrixView(flowGradient, columnStride: positions)
        let resultView = MutableMatrixView(result, columnStride: positions)
        switch flow {
        case .uniform:
            result.update(repeating: 0, count: block)
        case .cosine:
            // w = u / Σu with u = 1 + cos: dL/du = (dL/dw - Σ dL/dw ⊙ w) / Σu.
            formCost(problem, distance: distance, cost: distance)
            let total = 2 * Float(block) - VectorLoops.sum(distance, count: block)
            let scale = 1 / max(total, .leastNormalMagnitude)
            var dot: Float = 0
            for index in 0..<block { dot += flowGradient[index] * (2 - distance[index]) * scale }
            BlockLoops.affine(flowGradient, scale, -dot * scale, into: result, count: block)
        case .wasserstein(let settings):
            let p = settings.costExponent
            let costBuffer = p == 1 ? distance : cost
            formCost(problem, distance: distance, cost: costBuffer)
            switch settings.gradient {
            case .unrolled:
                let sinkhornProblem = SinkhornProblem(
                    rows: positions, columns: shape.proxies,
                    cost: MatrixView(costBuffer, columnStride: positions))
                Sinkhorn.unrolledCostGradient(
                    sinkhornProblem, parameters: settings.sinkhorn, record: record!,
                    planGradient: flowView, costGradient: resultView, scratch: workspace)
            case .implicit:
                Sinkhorn.implicitCostGradient(
                    plan: MatrixView(
                        plan!.storage.pointer + shape.blockOffset(problem), columnStride: shape.rows),
                    rows: positions, columns: shape.proxies, lambda: settings.sinkhorn.lambda,
                    planGradient: flowView, costGradient: resultView, scratch: workspace)
            }
            // cost = distance^p and distance = 1 - cos: dcos = -dcost · p · distance^(p-1).
            if p == 1 {
                BlockLoops.affine(result, -1, 0, into: result, count: block)
            } else {
                let exponent = FloatVector(repeating: p - 1)
                VectorLoops.zip(result, distance, result, count: block) {
                    -$0 * p * VectorMath.pow($1, exponent)
                }
            }
        }
    }

    /// gradient_i += -term_i / ‖v_i‖² · v_i, the path through the norm (zero where clamped).
    static func addNormTerms(_ gradient: Tensor, values: Tensor, terms: [Float], inverseNorms: Tensor) {
        let length = values.shape.last ?? 1
        let out = gradient.storage.pointer
        let v = values.storage.pointer
        let clampedInverse = 1 / ProxyMatching.normEpsilon
        let n = inverseNorms.storage.pointer
        terms.withUnsafeBufferPointer { terms in
            let t = terms.baseAddress!
            Parallel.forRanges(terms.count, minimumChunk: max(1, 8192 / max(length, 1))) { range in
                for i in range where n[i] < clampedInverse {
                    let factor = FloatVector(repeating: -t[i] * n[i] * n[i])
                    var c = 0
                    while c < length {
                        let lanes = min(FloatVector.scalarCount, length - c)
                        let index = i * length + c
                        VectorLoops.storeAny(
                            VectorLoops.loadAny(out + index, lanes).addingProduct(
                                factor, VectorLoops.loadAny(v + index, lanes)),
                            out + index, lanes)
                        c += FloatVector.scalarCount
                    }
                }
            }
        }
    }
}
