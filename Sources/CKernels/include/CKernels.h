// The hot loops of the Sinkhorn solver and its unrolled gradient, built once per instruction set
// (AVX-512, AVX2+FMA, and the compiler's portable baseline) in one binary; `mpw_kernels_table`
// hands out the build a caller asks for, and Swift's `KernelVariant` picks one at start from cpuid.
//
// Matrices are column-major with the rows padded to a multiple of 16 (`padded_rows`), the layout
// of OptimalTransport's `SinkhornScratch`; vectors of rows have `padded_rows` entries.
#ifndef MPW_CKERNELS_H
#define MPW_CKERNELS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The builds, widest first; the values index `mpw_kernels_table`.
enum {
    MPW_KERNELS_AVX512 = 0,
    MPW_KERNELS_AVX2 = 1,
    MPW_KERNELS_PORTABLE = 2,
};

typedef struct MPWKernelTable {
    /// In place, m[i] = exp((m[i] - shift) * (-1 / lambda)) for i < count (a multiple of 16).
    void (*form_kernel)(float *matrix, long count, float shift, float lambda);

    /// Iterations first...last of Algorithm 1 in the kernel domain, continuing from the alpha
    /// (padded_rows) and beta (columns) given: alpha_t = mu / (K beta_{t-1}), beta_t = nu / (K^T alpha_t)
    /// when both marginal exponents are 1 (balanced), else alpha_t = mu o (K beta_{t-1})^(-source_exponent),
    /// beta_t = nu o (K^T alpha_t)^(-target_exponent) (unbalanced, KL-relaxed marginals).
    /// One loop serves every stop rule: with threshold > 0 it stops after the first t >= 2 whose
    /// L1 change of alpha is below threshold times its L1 size (the relative rule); with changes not
    /// NULL it writes each iteration's L1 change of alpha times change_scale to changes[t - first]
    /// (the batch rule decides outside). history, when not NULL, receives beta_t at offset
    /// (t - 1) * columns. Leaves alpha_T and beta_T, writes whether it stopped early, returns T.
    long (*sinkhorn_kernel)(const float *kernel, long padded_rows, long columns, const float *mu, const float *nu,
                            float source_exponent, float target_exponent, float *alpha, float *beta, long first,
                            long last, float threshold, double *changes, double change_scale, float *history,
                            int *converged);

    /// The same iterations in the log domain on the scaled cost C~ (float) and double a = log alpha
    /// (padded_rows), b = log beta (columns): a = log mu - f_s LSE_j(b_j - C~_ij), b = log nu -
    /// f_t LSE_i(a_i - C~_ij), each exponent formed in double and exponentiated in float less its
    /// maximum. The stop rule as in `sinkhorn_kernel`, the change of alpha measured stably from the
    /// log-scalings and, for changes, at the scale e^(a + log_scale). previous_log_alpha is
    /// padded_rows doubles of workspace; history receives (float)b_t. Leaves a_T and b_T.
    long (*sinkhorn_log)(const float *scaled_cost, long padded_rows, long columns, const double *log_mu,
                         const double *log_nu, double source_exponent, double target_exponent, double *log_alpha,
                         double *previous_log_alpha, double *log_beta, long first, long last, float threshold,
                         double *changes, double log_scale, float *history, int *converged);

    /// a = log mu - exponent LSE_j(b_j - C~_ij), computed as `sinkhorn_log` computes it.
    void (*update_log_alpha)(const float *scaled_cost, const double *log_beta, const double *log_mu, double exponent,
                             long padded_rows, long columns, double *log_alpha);

    /// alpha = mu / (K beta), summed as `sinkhorn_kernel` sums, so it reproduces that loop's alpha.
    void (*update_alpha)(const float *kernel, const float *beta, const float *mu, long padded_rows, long columns,
                         float *alpha);

    /// plan = diag(alpha) K diag(beta), column-major like K.
    void (*form_plan)(const float *kernel, const float *alpha, const float *beta, long padded_rows, long columns,
                      float *plan);

    /// alpha = mu o (K beta)^(-source_exponent) (mu / (K beta) when it is 1) and inverse_u = 1 / (K beta).
    void (*recompute_alpha)(const float *kernel, const float *beta, const float *mu, float source_exponent,
                            long padded_rows, long columns, float *alpha, float *inverse_u);

    /// The adjoints of P = diag(alpha) K diag(beta) given Pbar: Kbar += Pbar o alpha beta^T,
    /// alphabar = (Pbar o K) beta, betabar = (Pbar o K)^T alpha.
    void (*plan_term)(const float *kernel, const float *plan_bar, const float *alpha, const float *beta,
                      long padded_rows, long columns, float *kernel_bar, float *alpha_bar, float *beta_bar);

    /// One backward step of the unrolled kernel-domain recursion for any m, after vbar: alphabar +=
    /// K vbar, ubar = -source_exponent alphabar o alpha o inverse_u, Kbar += alpha vbar^T + ubar
    /// beta_{t-1}^T; then, when beta_bar is not NULL, betabar_{t-1} = K^T ubar. For m = 4 with
    /// source_exponent 1, alpha and inverse_u are recomputed from mu and beta_{t-1} in the same pass
    /// (the caller need not fill them).
    void (*adjoint_step)(const float *kernel, const float *mu, const float *previous_beta, const float *v_bar,
                         float source_exponent, long padded_rows, long columns, float *alpha, float *inverse_u,
                         float *alpha_bar, float *u_bar, float *kernel_bar, float *beta_bar);

    /// matrix[i] *= kernel[i] * factor for i < count (a multiple of 16).
    void (*multiply_by_kernel)(float *matrix, const float *kernel, long count, float factor);

    /// destination[i] = log(source[i]) * scale + shift for i < count: potentials from scalings.
    void (*log_affine)(const float *source, long count, float scale, float shift, float *destination);

    /// The multi-proxy head's per-problem runs (any count): destination = source * a + b.
    void (*affine)(const float *source, float a, float b, float *destination, long count);

    /// distance = max(1 - similarity * proxy_scale * vector_scales, 0).
    void (*cosine_distance)(const float *similarity, float proxy_scale, const float *vector_scales, float *distance,
                            long count);

    /// similarity_gradient = g * flow + scaled and vector_terms += scaled * similarity, where scaled =
    /// cosine_gradient * proxy_scale * vector_scales; returns the sum of scaled * similarity.
    float (*similarity_gradient)(const float *cosine_gradient, const float *similarity, const float *flow,
                                 float upstream, float proxy_scale, const float *vector_scales,
                                 float *vector_terms, float *similarity_gradient, long count);

    /// The sum over `runs` runs of `count` floats (run r at r * stride) of a * b.
    float (*dot_runs)(const float *a, const float *b, long runs, long stride, long count);
} MPWKernelTable;

/// Winograd F(4x4, 3x3) transforms of a 3x3 stride-1 convolution on NHWC activations (see
/// WinogradBodies.h); tile t of a chunk of tile_count tiles is the global tile first_tile + t,
/// and transformed data is laid out [36][tile_count][channels], transformed filters
/// [36][rows][columns].
typedef struct MPWWinogradTable {
    /// Tiles begin..<end: B^T d B of the 6x6 input patches at (4 ty - pad_y, 4 tx - pad_x).
    void (*input)(const float *source, long height, long width, long channels, long pad_y, long pad_x, long tiles_y,
                  long tiles_x, long first_tile, long tile_count, long begin, long end, float *transformed);
    /// Tiles begin..<end: destination = epilogue(A^T m A + bias), bias may be NULL; adds_destination
    /// adds what the destination held, relu clamps at 0 last.
    void (*output)(const float *transformed, long height, long width, long channels, long tiles_y, long tiles_x,
                   long first_tile, long tile_count, long begin, long end, const float *bias, int adds_destination,
                   int relu, float *destination);
    /// Tiles begin..<end: A y A^T of the 4x4 output-gradient tiles (the weight gradient's operand).
    void (*gradient)(const float *gradient, long height, long width, long channels, long tiles_y, long tiles_x,
                     long first_tile, long tile_count, long begin, long end, float *transformed);
    /// Output channels begin..<end of OIHW weights to G g G^T, [36][inputs][outputs]; with
    /// backward_data, the backward-data pass's filters (turned, transposed), [36][outputs][inputs].
    void (*filter)(const float *weights, long outputs, long inputs, int backward_data, long begin, long end,
                   float *transformed);
    /// Output channels begin..<end of the OIHW weight gradient from G^T (.) G of [36][inputs][outputs].
    void (*filter_gradient)(const float *transformed, long outputs, long inputs, long begin, long end, float *gradient);
} MPWWinogradTable;

/// 1 when this CPU (and its operating system) can run `variant`, else 0.
int mpw_kernels_supported(int variant);

/// The table of `variant`, or NULL when this architecture has no such build. Calling into a
/// table the CPU does not support faults with an illegal instruction: check `mpw_kernels_supported`.
const MPWKernelTable *mpw_kernels_table(int variant);

/// The Winograd transforms of `variant`, or NULL as for `mpw_kernels_table`.
const MPWWinogradTable *mpw_winograd_table(int variant);

#ifdef __cplusplus
}
#endif

#endif
