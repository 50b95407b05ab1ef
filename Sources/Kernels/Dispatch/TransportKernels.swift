import CKernels

/// The optimal-transport kernels of one `KernelVariant`, called through its C function table.
/// `TransportKernels.active` is what the solvers use; a test takes `KernelVariant.x.transportKernels`
/// to run the same problem on each build. Matrices are column-major with `paddedRows` (a multiple
/// of 16) rows; see `CKernels.h` for each kernel's contract.
public struct TransportKernels: @unchecked Sendable {
    let table: UnsafePointer<MPWKernelTable>

    /// The kernels of the variant this process runs.
    public static let active = KernelVariant.active.transportKernels

    /// In place, m[i] = exp((m[i] - shift) * (-1 / lambda)) for i < count (a multiple of 16).
    public func formKernel(_ matrix: UnsafeMutablePointer<Float>, count: Int, shift: Float, lambda: Float) {
        table.pointee.form_kernel(matrix, count, shift, lambda)
    }

    /// Iterations first...last of kernel-domain Algorithm 1, continuing from `alpha` and `beta`:
    /// alpha = mu o (K beta)^(-f_s), beta = nu o (K^T alpha)^(-f_t), with the marginal `exponents`
    /// f = tau / (tau + lambda) of unbalanced transport, (1, 1) when balanced (then the divisions
    /// mu / (K beta), nu / (K^T alpha) exactly). The stop rule is a parameter: `threshold > 0`
    /// stops at the first t >= 2 whose relative L1 change of alpha is below it; `changes`, when
    /// given, receives each iteration's L1 change of alpha times `changeScale` at t - first (the
    /// batch rule). `history` receives beta_t at (t - 1) * columns. Returns the last iteration
    /// run and whether it stopped early.
    public func sinkhorn(kernel: UnsafePointer<Float>, paddedRows: Int, columns: Int,
                         mu: UnsafePointer<Float>, nu: UnsafePointer<Float>, exponents: (source: Float, target: Float) = (1, 1),
                         alpha: UnsafeMutablePointer<Float>, beta: UnsafeMutablePointer<Float>,
                         iterations: ClosedRange<Int>, threshold: Float,
                         changes: UnsafeMutablePointer<Double>? = nil, changeScale: Double = 1,
                         history: UnsafeMutablePointer<Float>?) -> (iterations: Int, converged: Bool) {
        var converged: Int32 = 0
        let last = table.pointee.sinkhorn_kernel(kernel, paddedRows, columns, mu, nu, exponents.source, exponents.target,
                                                 alpha, beta, iterations.lowerBound, iterations.upperBound, threshold,
                                                 changes, changeScale, history, &converged)
        return (last, converged != 0)
    }

    /// Iterations first...last of Algorithm 1 in the log domain, continuing from `logAlpha` and
    /// `logBeta` (doubles; a = log mu - f_s LSE_j(b_j - C~_ij), b = log nu - f_t LSE_i(a_i - C~_ij)
    /// on the scaled cost C~). `previousLogAlpha` is paddedRows doubles of workspace. The stop rule
    /// as in `sinkhorn`, with the change of alpha measured at the true scale e^(a + logScale).
    /// Leaves a_T in `logAlpha`; `history` receives Float(b_t) at (t - 1) * columns.
    public func logSinkhorn(scaledCost: UnsafePointer<Float>, paddedRows: Int, columns: Int,
                            logMu: UnsafePointer<Double>, logNu: UnsafePointer<Double>,
                            exponents: (source: Double, target: Double),
                            logAlpha: UnsafeMutablePointer<Double>, previousLogAlpha: UnsafeMutablePointer<Double>,
                            logBeta: UnsafeMutablePointer<Double>, iterations: ClosedRange<Int>, threshold: Float,
                            changes: UnsafeMutablePointer<Double>? = nil, logScale: Double = 0,
                            history: UnsafeMutablePointer<Float>?) -> (iterations: Int, converged: Bool) {
        var converged: Int32 = 0
        let last = table.pointee.sinkhorn_log(scaledCost, paddedRows, columns, logMu, logNu, exponents.source,
                                              exponents.target, logAlpha, previousLogAlpha, logBeta,
                                              iterations.lowerBound, iterations.upperBound, threshold, changes, logScale,
                                              history, &converged)
        return (last, converged != 0)
    }

    /// a = log mu - f_s LSE_j(b_j - C~_ij), computed as `logSinkhorn` computes it.
    public func updateLogAlpha(scaledCost: UnsafePointer<Float>, logBeta: UnsafePointer<Double>,
                               logMu: UnsafePointer<Double>, exponent: Double, paddedRows: Int, columns: Int,
                               into logAlpha: UnsafeMutablePointer<Double>) {
        table.pointee.update_log_alpha(scaledCost, logBeta, logMu, exponent, paddedRows, columns, logAlpha)
    }

    /// alpha = mu / (K beta), summed as `sinkhorn` sums, so it reproduces that loop's alpha.
    public func updateAlpha(kernel: UnsafePointer<Float>, beta: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                            paddedRows: Int, columns: Int, into alpha: UnsafeMutablePointer<Float>) {
        table.pointee.update_alpha(kernel, beta, mu, paddedRows, columns, alpha)
    }

    /// plan = diag(alpha) K diag(beta).
    public func formPlan(kernel: UnsafePointer<Float>, alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>,
                         paddedRows: Int, columns: Int, into plan: UnsafeMutablePointer<Float>) {
        table.pointee.form_plan(kernel, alpha, beta, paddedRows, columns, plan)
    }

    /// alpha = mu o (K beta)^(-f_s) (mu / (K beta) for f_s = 1) and inverseU = 1 / (K beta).
    public func recomputeAlpha(kernel: UnsafePointer<Float>, beta: UnsafePointer<Float>, mu: UnsafePointer<Float>,
                               sourceExponent: Float = 1, paddedRows: Int, columns: Int,
                               alpha: UnsafeMutablePointer<Float>, inverseU: UnsafeMutablePointer<Float>) {
        table.pointee.recompute_alpha(kernel, beta, mu, sourceExponent, paddedRows, columns, alpha, inverseU)
    }

    /// Kbar += Pbar o alpha beta^T, alphabar = (Pbar o K) beta, betabar = (Pbar o K)^T alpha.
    public func planTerm(kernel: UnsafePointer<Float>, planBar: UnsafePointer<Float>,
                         alpha: UnsafePointer<Float>, beta: UnsafePointer<Float>, paddedRows: Int, columns: Int,
                         kernelBar: UnsafeMutablePointer<Float>, alphaBar: UnsafeMutablePointer<Float>,
                         betaBar: UnsafeMutablePointer<Float>) {
        table.pointee.plan_term(kernel, planBar, alpha, beta, paddedRows, columns, kernelBar, alphaBar, betaBar)
    }

    /// One backward step of the unrolled kernel-domain recursion after vbar (see `CKernels.h`);
    /// for m = 4 with source exponent 1, alpha and inverseU are recomputed inside and not read.
    public func adjointStep(kernel: UnsafePointer<Float>, mu: UnsafePointer<Float>, previousBeta: UnsafePointer<Float>,
                            vBar: UnsafePointer<Float>, sourceExponent: Float = 1, paddedRows: Int, columns: Int,
                            alpha: UnsafeMutablePointer<Float>, inverseU: UnsafeMutablePointer<Float>,
                            alphaBar: UnsafeMutablePointer<Float>, uBar: UnsafeMutablePointer<Float>,
                            kernelBar: UnsafeMutablePointer<Float>, betaBar: UnsafeMutablePointer<Float>?) {
        table.pointee.adjoint_step(kernel, mu, previousBeta, vBar, sourceExponent, paddedRows, columns, alpha, inverseU,
                                   alphaBar, uBar, kernelBar, betaBar)
    }

    /// True when `adjointStep` recomputes alpha and inverseU itself (the fused m = 4 balanced pass).
    public static func adjointStepRecomputesAlpha(columns: Int, sourceExponent: Float) -> Bool {
        columns == 4 && sourceExponent == 1
    }

    /// matrix[i] *= kernel[i] * factor.
    public func multiplyByKernel(_ matrix: UnsafeMutablePointer<Float>, kernel: UnsafePointer<Float>, count: Int,
                                 factor: Float) {
        table.pointee.multiply_by_kernel(matrix, kernel, count, factor)
    }

    /// destination[i] = log(source[i]) * scale + shift: potentials from scalings.
    public func logAffine(_ source: UnsafePointer<Float>, count: Int, scale: Float, shift: Float,
                          into destination: UnsafeMutablePointer<Float>) {
        table.pointee.log_affine(source, count, scale, shift, destination)
    }

    /// destination = source * a + b over one run of any length.
    public func affine(_ source: UnsafePointer<Float>, _ a: Float, _ b: Float, into destination: UnsafeMutablePointer<Float>,
                       count: Int) {
        table.pointee.affine(source, a, b, destination, count)
    }

    /// distance = max(1 - similarity * proxyScale * vectorScales, 0).
    public func cosineDistance(_ similarity: UnsafePointer<Float>, proxyScale: Float, vectorScales: UnsafePointer<Float>,
                               into distance: UnsafeMutablePointer<Float>, count: Int) {
        table.pointee.cosine_distance(similarity, proxyScale, vectorScales, distance, count)
    }

    /// dL/dS = g * flow + scaled into `similarityGradient`, vectorTerms += scaled * similarity, with
    /// scaled = cosineGradient * proxyScale * vectorScales; returns the sum of scaled * similarity.
    public func similarityGradient(cosineGradient: UnsafePointer<Float>, similarity: UnsafePointer<Float>,
                                   flow: UnsafePointer<Float>, upstream: Float, proxyScale: Float,
                                   vectorScales: UnsafePointer<Float>, vectorTerms: UnsafeMutablePointer<Float>,
                                   into similarityGradient: UnsafeMutablePointer<Float>, count: Int) -> Float {
        table.pointee.similarity_gradient(cosineGradient, similarity, flow, upstream, proxyScale, vectorScales, vectorTerms,
                                          similarityGradient, count)
    }

    /// The sum over `runs` runs of `count` floats (run r at r * stride) of a * b.
    public func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, runs: Int, stride: Int, count: Int) -> Float {
        table.pointee.dot_runs(a, b, runs, stride, count)
    }
}

extension KernelVariant {
    /// This variant's transport kernels. Run them only when `isSupported`: another CPU's build
    /// stops the process with an illegal instruction.
    public var transportKernels: TransportKernels {
        guard let table = mpw_kernels_table(index) else {
            return TransportKernels(table: mpw_kernels_table(Int32(MPW_KERNELS_PORTABLE))!)
        }
        return TransportKernels(table: table)
    }
}
