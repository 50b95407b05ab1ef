import Kernels
import NN
import OptimalTransport
import Synchronization
import Tensors

/// The fused multi-proxy score (paper Eq. 5-9) as one differentiable op with a hand-written
/// backward pass.
///
/// Layout. For features X (B, d, H, W) and proxies P (K, M, d), the similarities S = <X_j, P_km>
/// come from one sgemm as a (K·M) x (B·HW) matrix: row k·M + m holds proxy (k, m) against every
/// feature vector. The (sample b, class k) problem is then M contiguous runs of HW entries — an
/// HW x M cost read column by column, the order the Sinkhorn kernels iterate in — so each
/// problem is loaded, solved and differentiated in cache with vector loads only.
///
/// Forward: sgemm for S; the norms of the B·HW feature vectors and K·M proxies once; then per
/// problem the cost (1 - cos)^p, the matching flow w (the Sinkhorn plan) and the score Σ w ⊙ S.
/// Only S, w and the Sinkhorn records are kept, w only when the backward pass or the caller needs it
/// (evaluation scores each plan in its thread's scratch).
///
/// Backward, given dL/ds: per problem, dL/dw = g·S goes through the flow (the Sinkhorn adjoint,
/// unrolled or implicit) to dL/dcos and on to dL/dS = g·w + dcos/(‖x‖‖p‖), with the norm terms
/// summed per thread; then two sgemms give dL/dX = Gᵀ·P and dL/dP = G·X. Three GEMMs in all.
///
/// Zero feature vectors (whole ReLU-dead positions) are safe: norms are clamped at
/// `normEpsilon`, where the cosine is 0 and its norm derivative is taken as 0.
enum ProxyMatching {
    static let normEpsilon: Float = 1e-6

    struct Output {
        let scores: Tensor
        let statistics: MatchingStatistics
        /// The flow w, (K·M) x (B·HW): entry (k·M + m, b·HW + j); nil unless asked for or kept
        /// for the backward pass.
        let flow: Tensor?
    }

    /// `firstRound`: under the batch stopping rule, the iteration count the first round runs to
    /// (the previous batch's count is the best guess; the result does not depend on it).
    /// `keepsFlow`: return the flow; a forward pass that only needs the scores passes false.
    static func apply(features: Tensor, proxies: Tensor, flow: MatchingFlow, firstRound: Int = 8, keepsFlow: Bool = true) -> Output {
        precondition(features.rank == 4 && proxies.rank == 3 && proxies.shape[2] == features.shape[1],
                     "multi-proxy matching: features \(Shape.describe(features.shape)) and proxies \(Shape.describe(proxies.shape)) must be (B, d, H, W) and (K, M, d)")
        let vectors = features.spatialVectors()
        let shape = ProblemShape(batch: features.shape[0], positions: features.shape[2] * features.shape[3],
                                 dimension: features.shape[1], classes: proxies.shape[0], proxies: proxies.shape[1])
        let recording = GradientMode.isRecording && (vectors.requiresGradient || proxies.requiresGradient)
        let forward = MatchingForward(shape: shape, vectors: vectors, proxies: proxies.contiguous(), flow: flow, recordForBackward: recording,
                                      keepsPlan: keepsFlow, firstRound: firstRound)
        MultiplyAccumulateCounter.record(shape.rows * shape.columns * shape.dimension + forward.sinkhornMultiplyAccumulates)
        let scores = Tensor.differentiable("multiProxyMatching", inputs: [vectors, proxies], output: forward.scores) { g, needs in
            let gradients = forward.backward(g.contiguous(), needs: needs)
            return [gradients.vectors, gradients.proxies]
        }
        return Output(scores: scores, statistics: forward.statistics, flow: forward.plan)
    }
}

/// The sizes of one batch of problems, and where each problem's block lies.
struct ProblemShape {
    let batch, positions, dimension, classes, proxies: Int
    /// B·HW feature vectors: the columns of the similarity matrix.
    var rows: Int { batch * positions }
    /// K·M proxies: the rows of the similarity matrix.
    var columns: Int { classes * proxies }
    var problems: Int { batch * classes }
    var block: Int { positions * proxies }

    /// Problems are numbered sample-fastest, p = k·B + b, so consecutive problems continue the
    /// same M rows of the buffers and the hardware prefetcher streams them.
    func sample(_ problem: Int) -> Int { problem % batch }
    func classIndex(_ problem: Int) -> Int { problem / batch }
    func firstProxy(_ problem: Int) -> Int { classIndex(problem) * proxies }
    /// Where problem (b, k)'s score goes in the (B, K) output.
    func scoreIndex(_ problem: Int) -> Int { sample(problem) * classes + classIndex(problem) }

    /// Offset of problem (b, k)'s first entry in a (K·M) x (B·HW) buffer; its M runs of HW entries
    /// follow every `rows` floats.
    func blockOffset(_ problem: Int) -> Int {
        firstProxy(problem) * rows + sample(problem) * positions
    }
}
