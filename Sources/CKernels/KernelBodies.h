// The kernels' bodies, included once per build by Kernels.c with `NAME(x)` giving each function
// its build's name and `MADD(a, b, c)` = a * b + c either fused (FMA builds) or rounded twice.
// Every loop mirrors the Swift SIMD16 code it replaced operation for operation (16 lanes, the same
// order of additions, the same halving lane sums), so the FMA builds reproduce the Swift
// `-target-cpu native` results bit for bit and differ from one another in speed only.

static inline __attribute__((always_inline)) v16 NAME(load)(const float *p) { return *(const v16u *)p; }
static inline __attribute__((always_inline)) void NAME(store)(v16 value, float *p) { *(v16u *)p = value; }
static inline __attribute__((always_inline)) v16 NAME(splat)(float value) { return (v16)value; }

/// Lane sum by halving: 8 + 8, 4 + 4, 2 + 2, 1 + 1.
static inline __attribute__((always_inline)) float NAME(pairwise_sum)(v16 x) {
    v8 eight = x.lo + x.hi;
    v4 four = eight.lo + eight.hi;
    v2 two = four.lo + four.hi;
    return two.x + two.y;
}

static inline __attribute__((always_inline)) v16 NAME(abs)(v16 x) {
    return (v16)((vi16)x & (vi16)0x7fffffff);
}

static inline __attribute__((always_inline)) v16 NAME(select)(vi16 mask, v16 yes, v16 no) {
    return (v16)(((vi16)yes & mask) | ((vi16)no & ~mask));
}

/// Cephes-style exp, `VectorMath.exp` step for step: NaN stays NaN, large gives infinity, small 0.
static inline __attribute__((always_inline)) v16 NAME(exp)(v16 input) {
    v16 x0 = __builtin_elementwise_min(__builtin_elementwise_max(input, NAME(splat)(-87.33654f)), NAME(splat)(88.0f));
    // Round to nearest even by adding and removing 1.5 * 2^23 (exact for |value| < 2^22); the
    // sum's low mantissa bits are the integer.
    v16 shifted = x0 * 1.44269504088896341f + 12582912.0f;
    v16 n = shifted - 12582912.0f;
    v16 x = MADD(n, NAME(splat)(-0.693359375f), x0);
    x = MADD(n, NAME(splat)(2.12194440e-4f), x);
    v16 p = NAME(splat)(1.9875691500e-4f);
    p = MADD(p, x, NAME(splat)(1.3981999507e-3f));
    p = MADD(p, x, NAME(splat)(8.3334519073e-3f));
    p = MADD(p, x, NAME(splat)(4.1665795894e-2f));
    p = MADD(p, x, NAME(splat)(1.6666665459e-1f));
    p = MADD(p, x, NAME(splat)(5.0000001201e-1f));
    v16 y = MADD(p, x * x, x + 1.0f);
    vi16 integer = (vi16)shifted - 0x4B400000;
    v16 scale = (v16)((integer + 127) << 23);
    v16 result = y * scale;
    result = NAME(select)(input < -87.33654f, NAME(splat)(0.0f), result);
    result = NAME(select)(input > 88.72283f, NAME(splat)(__builtin_inff()), result);
    return NAME(select)(input != input, input, result);
}

/// Cephes-style log, `VectorMath.log` step for step; subnormal lanes go to libm's logf.
static inline __attribute__((always_inline)) v16 NAME(log)(v16 input) {
    vi16 bits = (vi16)input;
    v16 exponent = __builtin_convertvector((bits >> 23) & 0xff, v16) - 126.0f;
    v16 m = (v16)((bits & (int)0x807fffff) | 0x3f000000);
    vi16 small = m < 0.707106781186547524f;
    exponent = NAME(select)(small, exponent - 1.0f, exponent);
    m = m - 1.0f;
    m = NAME(select)(small, m + m + 1.0f, m);
    v16 z = m * m;
    v16 p = NAME(splat)(7.0376836292e-2f);
    p = MADD(p, m, NAME(splat)(-1.1514610310e-1f));
    p = MADD(p, m, NAME(splat)(1.1676998740e-1f));
    p = MADD(p, m, NAME(splat)(-1.2420140846e-1f));
    p = MADD(p, m, NAME(splat)(1.4249322787e-1f));
    p = MADD(p, m, NAME(splat)(-1.6668057665e-1f));
    p = MADD(p, m, NAME(splat)(2.0000714765e-1f));
    p = MADD(p, m, NAME(splat)(-2.4999993993e-1f));
    p = MADD(p, m, NAME(splat)(3.3333331174e-1f));
    v16 y = m * z * p;
    y = MADD(exponent, NAME(splat)(-2.12194440e-4f), y);
    y = MADD(z, NAME(splat)(-0.5f), y);
    v16 result = MADD(exponent, NAME(splat)(0.693359375f), m + y);
    for (int lane = 0; lane < 16; lane++) {
        if (input[lane] > 0 && input[lane] < 1.17549435e-38f) result[lane] = logf(input[lane]);
    }
    result = NAME(select)(input == 0.0f, NAME(splat)(-__builtin_inff()), result);
    result = NAME(select)(input < 0.0f, NAME(splat)(__builtin_nanf("")), result);
    result = NAME(select)(input == __builtin_inff(), NAME(splat)(__builtin_inff()), result);
    return NAME(select)(input != input, input, result);
}

static void NAME(form_kernel)(float *matrix, long count, float shift, float lambda) {
    v16 scale = NAME(splat)(-1.0f / lambda);
    v16 offset = NAME(splat)(shift);
    for (long start = 0; start < count; start += 16) {
        NAME(store)(NAME(exp)((NAME(load)(matrix + start) - offset) * scale), matrix + start);
    }
}

/// mu / x, or mu o x^(-f_s) (power = -f_s) when the source marginal is relaxed.
static inline __attribute__((always_inline)) v16 NAME(source_scaling)(v16 mu, v16 kernel_times_beta, int relaxed,
                                                                       v16 power) {
    return relaxed ? mu * NAME(exp)(NAME(log)(kernel_times_beta) * power) : mu / kernel_times_beta;
}

/// nu / x, or nu x^(-f_t) (power = -f_t) when the target marginal is relaxed.
static inline __attribute__((always_inline)) float NAME(target_scaling)(float nu, float kernel_times_alpha, int relaxed,
                                                                        float power) {
    return relaxed ? nu * powf(kernel_times_alpha, power) : nu / kernel_times_alpha;
}

/// m = 4: one pass over the rows per iteration forms K beta, alpha, its change and the four dot
/// products of K^T alpha, so K is read once per iteration.
static inline __attribute__((always_inline)) long NAME(sinkhorn_four)(const float *kernel, long padded_rows, const float *mu,
                                                                      const float *nu, float source_exponent,
                                                                      float target_exponent, float *alpha, float *beta,
                                                                      long first, long last, float threshold,
                                                                      double *changes, double change_scale,
                                                                      float *history, int *converged, int measures_change,
                                                                      int relaxed) {
    const float *column0 = kernel, *column1 = kernel + padded_rows;
    const float *column2 = kernel + 2 * padded_rows, *column3 = kernel + 3 * padded_rows;
    v16 source_power = NAME(splat)(-source_exponent);
    float target_power = -target_exponent;
    float scaling[4] = {beta[0], beta[1], beta[2], beta[3]};
    long iterations = last;
    for (long iteration = first; iteration <= last; iteration++) {
        v16 beta0 = NAME(splat)(scaling[0]), beta1 = NAME(splat)(scaling[1]);
        v16 beta2 = NAME(splat)(scaling[2]), beta3 = NAME(splat)(scaling[3]);
        v16 dot0 = NAME(splat)(0), dot1 = NAME(splat)(0), dot2 = NAME(splat)(0), dot3 = NAME(splat)(0);
        v16 change = NAME(splat)(0), size = NAME(splat)(0);
        for (long start = 0; start < padded_rows; start += 16) {
            v16 k0 = NAME(load)(column0 + start), k1 = NAME(load)(column1 + start);
            v16 k2 = NAME(load)(column2 + start), k3 = NAME(load)(column3 + start);
            v16 kernel_times_beta = MADD(k1, beta1, k0 * beta0) + MADD(k3, beta3, k2 * beta2);
            v16 updated = NAME(source_scaling)(NAME(load)(mu + start), kernel_times_beta, relaxed, source_power);
            if (measures_change) {
                change += NAME(abs)(updated - NAME(load)(alpha + start));
                size += updated;
            }
            NAME(store)(updated, alpha + start);
            dot0 = MADD(k0, updated, dot0);
            dot1 = MADD(k1, updated, dot1);
            dot2 = MADD(k2, updated, dot2);
            dot3 = MADD(k3, updated, dot3);
        }
        scaling[0] = NAME(target_scaling)(nu[0], NAME(pairwise_sum)(dot0), relaxed, target_power);
        scaling[1] = NAME(target_scaling)(nu[1], NAME(pairwise_sum)(dot1), relaxed, target_power);
        scaling[2] = NAME(target_scaling)(nu[2], NAME(pairwise_sum)(dot2), relaxed, target_power);
        scaling[3] = NAME(target_scaling)(nu[3], NAME(pairwise_sum)(dot3), relaxed, target_power);
        if (history) {
            float *slot = history + (iteration - 1) * 4;
            slot[0] = scaling[0]; slot[1] = scaling[1]; slot[2] = scaling[2]; slot[3] = scaling[3];
        }
        if (changes) changes[iteration - first] = (double)NAME(pairwise_sum)(change) * change_scale;
        if (threshold > 0 && iteration >= 2 && NAME(pairwise_sum)(change) < threshold * NAME(pairwise_sum)(size)) {
            iterations = iteration;
            *converged = 1;
            break;
        }
    }
    beta[0] = scaling[0]; beta[1] = scaling[1]; beta[2] = scaling[2]; beta[3] = scaling[3];
    return iterations;
}

/// Any m: one pass over K for alpha (rows in lanes, columns accumulated with beta broadcast) and
/// one per column for K^T alpha.
static inline __attribute__((always_inline)) long NAME(sinkhorn_any)(const float *kernel, long padded_rows, long columns,
                                                                     const float *mu, const float *nu,
                                                                     float source_exponent, float target_exponent,
                                                                     float *alpha, float *beta, long first, long last,
                                                                     float threshold, double *changes,
                                                                     double change_scale, float *history,
                                                                     int *converged, int relaxed) {
    v16 source_power = NAME(splat)(-source_exponent);
    float target_power = -target_exponent;
    for (long iteration = first; iteration <= last; iteration++) {
        v16 change = NAME(splat)(0), size = NAME(splat)(0);
        for (long start = 0; start < padded_rows; start += 16) {
            v16 kernel_times_beta = NAME(splat)(0);
            for (long column = 0; column < columns; column++) {
                kernel_times_beta = MADD(NAME(load)(kernel + column * padded_rows + start), NAME(splat)(beta[column]),
                                         kernel_times_beta);
            }
            v16 updated = NAME(source_scaling)(NAME(load)(mu + start), kernel_times_beta, relaxed, source_power);
            change += NAME(abs)(updated - NAME(load)(alpha + start));
            size += updated;
            NAME(store)(updated, alpha + start);
        }
        for (long column = 0; column < columns; column++) {
            const float *line = kernel + column * padded_rows;
            v16 dot = NAME(splat)(0);
            for (long start = 0; start < padded_rows; start += 16) {
                dot = MADD(NAME(load)(line + start), NAME(load)(alpha + start), dot);
            }
            beta[column] = NAME(target_scaling)(nu[column], NAME(pairwise_sum)(dot), relaxed, target_power);
        }
        if (history) {
            for (long column = 0; column < columns; column++) history[(iteration - 1) * columns + column] = beta[column];
        }
        if (changes) changes[iteration - first] = (double)NAME(pairwise_sum)(change) * change_scale;
        if (threshold > 0 && iteration >= 2 && NAME(pairwise_sum)(change) < threshold * NAME(pairwise_sum)(size)) {
            *converged = 1;
            return iteration;
        }
    }
    return last;
}

/// Each loop is instantiated with its flags constant, so the balanced code (both exponents 1)
/// is the plain division loop, untouched by the relaxed one.
static long NAME(sinkhorn_kernel)(const float *kernel, long padded_rows, long columns, const float *mu, const float *nu,
                                  float source_exponent, float target_exponent, float *alpha, float *beta, long first,
                                  long last, float threshold, double *changes, double change_scale, float *history,
                                  int *converged) {
    *converged = 0;
    int relaxed = !(source_exponent == 1 && target_exponent == 1);
    int measures_change = threshold > 0 || changes;
#define SINKHORN_FOUR(measures, relax)                                                                                  \
    NAME(sinkhorn_four)(kernel, padded_rows, mu, nu, source_exponent, target_exponent, alpha, beta, first, last,       \
                        threshold, changes, change_scale, history, converged, measures, relax)
    if (columns == 4) {
        if (relaxed) return measures_change ? SINKHORN_FOUR(1, 1) : SINKHORN_FOUR(0, 1);
        return measures_change ? SINKHORN_FOUR(1, 0) : SINKHORN_FOUR(0, 0);
    }
#undef SINKHORN_FOUR
    if (relaxed) {
        return NAME(sinkhorn_any)(kernel, padded_rows, columns, mu, nu, source_exponent, target_exponent, alpha, beta,
                                  first, last, threshold, changes, change_scale, history, converged, 1);
    }
    return NAME(sinkhorn_any)(kernel, padded_rows, columns, mu, nu, source_exponent, target_exponent, alpha, beta, first,
                              last, threshold, changes, change_scale, history, converged, 0);
}

static inline __attribute__((always_inline)) vd16 NAME(load_double)(const double *p) { return *(const vd16u *)p; }
static inline __attribute__((always_inline)) void NAME(store_double)(vd16 value, double *p) { *(vd16u *)p = value; }
static inline __attribute__((always_inline)) vd16 NAME(widen)(v16 x) { return __builtin_convertvector(x, vd16); }
static inline __attribute__((always_inline)) v16 NAME(narrow)(vd16 x) { return __builtin_convertvector(x, v16); }

/// candidate where it exceeds current, else current (Swift's `lanewiseMaximum`, lane for lane).
static inline __attribute__((always_inline)) vd16 NAME(larger)(vd16 current, vd16 candidate) {
    vl16 mask = (vl16)(candidate > current);
    return (vd16)(((vl16)candidate & mask) | ((vl16)current & ~mask));
}

/// The largest lane by halving, as Swift's `largestLane`.
static inline __attribute__((always_inline)) double NAME(largest_lane)(vd16 x) {
    vd8 eight = x.lo;
    vd8 upper = x.hi;
    vl8 mask8 = (vl8)(upper > eight);
    eight = (vd8)(((vl8)upper & mask8) | ((vl8)eight & ~mask8));
    vd4 four = eight.lo, upper4 = eight.hi;
    vl4 mask4 = (vl4)(upper4 > four);
    four = (vd4)(((vl4)upper4 & mask4) | ((vl4)four & ~mask4));
    double first = four.z > four.x ? four.z : four.x;
    double second = four.w > four.y ? four.w : four.y;
    return second >= first ? second : first;
}

/// a = log mu - f_s LSE_j(b_j - C~_ij), rows in lanes. Each exponent is formed in double and,
/// less its row maximum, exponentiated in float; f_s = 1 keeps the balanced rounding.
static void NAME(update_log_alpha)(const float *scaled_cost, const double *log_beta, const double *log_mu,
                                   double exponent, long padded_rows, long columns, double *log_alpha) {
    for (long start = 0; start < padded_rows; start += 16) {
        vd16 largest = (vd16)(-__builtin_inf());
        for (long column = 0; column < columns; column++) {
            vd16 term = (vd16)log_beta[column] - NAME(widen)(NAME(load)(scaled_cost + column * padded_rows + start));
            largest = NAME(larger)(largest, term);
        }
        v16 total = NAME(splat)(0);
        for (long column = 0; column < columns; column++) {
            vd16 term = (vd16)log_beta[column] - NAME(widen)(NAME(load)(scaled_cost + column * padded_rows + start));
            total += NAME(exp)(NAME(narrow)(term - largest));
        }
        vd16 log_sum = NAME(widen)(NAME(log)(total));
        vd16 mass = NAME(load_double)(log_mu + start);
        NAME(store_double)(exponent == 1 ? mass - largest - log_sum : mass - (largest + log_sum) * exponent,
                           log_alpha + start);
    }
}

/// b = log nu - f_t LSE_i(a_i - C~_ij), one column at a time.
static inline __attribute__((always_inline)) void NAME(update_log_beta)(const float *scaled_cost,
                                                                        const double *log_alpha, const double *log_nu,
                                                                        double exponent, long padded_rows, long columns,
                                                                        double *log_beta) {
    for (long column = 0; column < columns; column++) {
        const float *line = scaled_cost + column * padded_rows;
        vd16 largest_lanes = (vd16)(-__builtin_inf());
        for (long start = 0; start < padded_rows; start += 16) {
            largest_lanes = NAME(larger)(largest_lanes,
                                         NAME(load_double)(log_alpha + start) - NAME(widen)(NAME(load)(line + start)));
        }
        double largest = NAME(largest_lane)(largest_lanes);
        v16 total = NAME(splat)(0);
        for (long start = 0; start < padded_rows; start += 16) {
            vd16 term = NAME(load_double)(log_alpha + start) - NAME(widen)(NAME(load)(line + start));
            total += NAME(exp)(NAME(narrow)(term - (vd16)largest));
        }
        double log_sum = log((double)NAME(pairwise_sum)(total));
        log_beta[column] = exponent == 1 ? log_nu[column] - largest - log_sum
                                         : log_nu[column] - (largest + log_sum) * exponent;
    }
}

/// ||alpha - alpha'||_1 from log-scalings, scaled by e^(-max a) (returned in largest), and
/// ||alpha||_1 at the same scale in size. |e^d - 1| is taken as |d + d^2/2| for |d| < 1e-3, where
/// the float exponential would round small changes away.
static inline __attribute__((always_inline)) float NAME(log_alpha_change)(const double *log_alpha,
                                                                          const double *previous, long padded_rows,
                                                                          double *largest, float *size) {
    vd16 largest_lanes = (vd16)(-__builtin_inf());
    for (long start = 0; start < padded_rows; start += 16) {
        largest_lanes = NAME(larger)(largest_lanes, NAME(load_double)(log_alpha + start));
    }
    *largest = NAME(largest_lane)(largest_lanes);
    vd16 shift = (vd16)*largest;
    v16 change = NAME(splat)(0), total = NAME(splat)(0);
    for (long start = 0; start < padded_rows; start += 16) {
        vd16 current = NAME(load_double)(log_alpha + start);
        v16 weight = NAME(exp)(NAME(narrow)(current - shift));
        v16 difference = NAME(narrow)(NAME(load_double)(previous + start) - current);
        v16 capped = NAME(select)(NAME(splat)(80) < difference, NAME(splat)(80), difference);
        v16 ratio_minus_one = NAME(exp)(capped) - 1.0f;
        v16 series = MADD(difference * difference, NAME(splat)(0.5f), difference);
        ratio_minus_one = NAME(select)(NAME(abs)(difference) < 1e-3f, series, ratio_minus_one);
        change = MADD(weight, NAME(abs)(ratio_minus_one), change);
        total += weight;
    }
    *size = NAME(pairwise_sum)(total);
    return NAME(pairwise_sum)(change);
}

static long NAME(sinkhorn_log)(const float *scaled_cost, long padded_rows, long columns, const double *log_mu,
                               const double *log_nu, double source_exponent, double target_exponent,
                               double *log_alpha, double *previous_log_alpha, double *log_beta, long first, long last,
                               float threshold, double *changes, double log_scale, float *history, int *converged) {
    *converged = 0;
    double *current = log_alpha, *previous = previous_log_alpha;
    long iterations = last;
    for (long iteration = first; iteration <= last; iteration++) {
        double *swap = previous;
        previous = current;
        current = swap;
        NAME(update_log_alpha)(scaled_cost, log_beta, log_mu, source_exponent, padded_rows, columns, current);
        NAME(update_log_beta)(scaled_cost, current, log_nu, target_exponent, padded_rows, columns, log_beta);
        if (history) {
            for (long column = 0; column < columns; column++) {
                history[(iteration - 1) * columns + column] = (float)log_beta[column];
            }
        }
        if (changes || (threshold > 0 && iteration >= 2)) {
            double largest;
            float size;
            float change = NAME(log_alpha_change)(current, previous, padded_rows, &largest, &size);
            if (changes) changes[iteration - first] = (double)change * exp(largest + log_scale);
            if (threshold > 0 && iteration >= 2 && change < threshold * size) {
                iterations = iteration;
                *converged = 1;
                break;
            }
        }
    }
    if (current != log_alpha) {
        for (long row = 0; row < padded_rows; row++) log_alpha[row] = current[row];
    }
    return iterations;
}

/// alpha = mu / (K beta) with the sums of `sinkhorn_kernel`, so it equals the alpha that loop made.
static void NAME(update_alpha)(const float *kernel, const float *beta, const float *mu, long padded_rows, long columns,
                               float *alpha) {
    for (long start = 0; start < padded_rows; start += 16) {
        v16 kernel_times_beta = NAME(splat)(0);
        if (columns == 4) {
            v16 k0 = NAME(load)(kernel + start), k1 = NAME(load)(kernel + padded_rows + start);
            v16 k2 = NAME(load)(kernel + 2 * padded_rows + start), k3 = NAME(load)(kernel + 3 * padded_rows + start);
            kernel_times_beta = MADD(k1, NAME(splat)(beta[1]), k0 * NAME(splat)(beta[0]))
                + MADD(k3, NAME(splat)(beta[3]), k2 * NAME(splat)(beta[2]));
        } else {
            for (long column = 0; column < columns; column++) {
                kernel_times_beta = MADD(NAME(load)(kernel + column * padded_rows + start), NAME(splat)(beta[column]),
                                         kernel_times_beta);
            }
        }
        NAME(store)(NAME(load)(mu + start) / kernel_times_beta, alpha + start);
    }
}

static void NAME(form_plan)(const float *kernel, const float *alpha, const float *beta, long padded_rows, long columns,
                            float *plan) {
    for (long column = 0; column < columns; column++) {
        long offset = column * padded_rows;
        v16 scale = NAME(splat)(beta[column]);
        for (long start = 0; start < padded_rows; start += 16) {
            NAME(store)(NAME(load)(alpha + start) * NAME(load)(kernel + offset + start) * scale, plan + offset + start);
        }
    }
}

static void NAME(recompute_alpha)(const float *kernel, const float *beta, const float *mu, float source_exponent,
                                  long padded_rows, long columns, float *alpha, float *inverse_u) {
    int relaxed = source_exponent != 1;
    v16 power = NAME(splat)(-source_exponent);
    for (long start = 0; start < padded_rows; start += 16) {
        v16 kernel_times_beta = NAME(splat)(0);
        for (long column = 0; column < columns; column++) {
            kernel_times_beta = MADD(NAME(load)(kernel + column * padded_rows + start), NAME(splat)(beta[column]),
                                     kernel_times_beta);
        }
        v16 inverse = 1.0f / kernel_times_beta;
        NAME(store)(inverse, inverse_u + start);
        v16 mass = NAME(load)(mu + start);
        NAME(store)(relaxed ? mass * NAME(exp)(NAME(log)(kernel_times_beta) * power) : mass * inverse, alpha + start);
    }
}

static void NAME(plan_term)(const float *kernel, const float *plan_bar, const float *alpha, const float *beta,
                            long padded_rows, long columns, float *kernel_bar, float *alpha_bar, float *beta_bar) {
    for (long i = 0; i < padded_rows; i++) alpha_bar[i] = 0;
    for (long column = 0; column < columns; column++) {
        long offset = column * padded_rows;
        v16 scale = NAME(splat)(beta[column]);
        v16 column_sum = NAME(splat)(0);
        for (long start = 0; start < padded_rows; start += 16) {
            v16 upstream = NAME(load)(plan_bar + offset + start);
            v16 current_alpha = NAME(load)(alpha + start);
            v16 weighted = upstream * NAME(load)(kernel + offset + start);
            NAME(store)(MADD(upstream * current_alpha, scale, NAME(load)(kernel_bar + offset + start)),
                        kernel_bar + offset + start);
            NAME(store)(MADD(weighted, scale, NAME(load)(alpha_bar + start)), alpha_bar + start);
            column_sum = MADD(weighted, current_alpha, column_sum);
        }
        beta_bar[column] = NAME(pairwise_sum)(column_sum);
    }
}

/// m = 4 in one pass over the rows: recomputes alpha_t and 1 / u_t, forms alphabar and ubar,
/// updates Kbar and accumulates betabar_{t-1} = K^T ubar in four registers.
static inline __attribute__((always_inline)) void NAME(adjoint_four)(const float *kernel, const float *mu,
                                                                     const float *previous_beta, const float *v_bar,
                                                                     long padded_rows, const float *alpha_bar,
                                                                     float *kernel_bar, float *beta_bar) {
    const float *column0 = kernel, *column1 = kernel + padded_rows;
    const float *column2 = kernel + 2 * padded_rows, *column3 = kernel + 3 * padded_rows;
    float *bar0 = kernel_bar, *bar1 = kernel_bar + padded_rows;
    float *bar2 = kernel_bar + 2 * padded_rows, *bar3 = kernel_bar + 3 * padded_rows;
    v16 beta0 = NAME(splat)(previous_beta[0]), beta1 = NAME(splat)(previous_beta[1]);
    v16 beta2 = NAME(splat)(previous_beta[2]), beta3 = NAME(splat)(previous_beta[3]);
    v16 adjoint0 = NAME(splat)(v_bar[0]), adjoint1 = NAME(splat)(v_bar[1]);
    v16 adjoint2 = NAME(splat)(v_bar[2]), adjoint3 = NAME(splat)(v_bar[3]);
    v16 dot0 = NAME(splat)(0), dot1 = NAME(splat)(0), dot2 = NAME(splat)(0), dot3 = NAME(splat)(0);
    for (long start = 0; start < padded_rows; start += 16) {
        v16 k0 = NAME(load)(column0 + start), k1 = NAME(load)(column1 + start);
        v16 k2 = NAME(load)(column2 + start), k3 = NAME(load)(column3 + start);
        v16 inverse_u = 1.0f / (MADD(k1, beta1, k0 * beta0) + MADD(k3, beta3, k2 * beta2));
        v16 alpha = NAME(load)(mu + start) * inverse_u;
        v16 adjoint_alpha = NAME(load)(alpha_bar + start) + (MADD(k1, adjoint1, k0 * adjoint0) + MADD(k3, adjoint3, k2 * adjoint2));
        v16 adjoint_u = -adjoint_alpha * alpha * inverse_u;
        NAME(store)(MADD(adjoint_u, beta0, MADD(alpha, adjoint0, NAME(load)(bar0 + start))), bar0 + start);
        NAME(store)(MADD(adjoint_u, beta1, MADD(alpha, adjoint1, NAME(load)(bar1 + start))), bar1 + start);
        NAME(store)(MADD(adjoint_u, beta2, MADD(alpha, adjoint2, NAME(load)(bar2 + start))), bar2 + start);
        NAME(store)(MADD(adjoint_u, beta3, MADD(alpha, adjoint3, NAME(load)(bar3 + start))), bar3 + start);
        dot0 = MADD(k0, adjoint_u, dot0);
        dot1 = MADD(k1, adjoint_u, dot1);
        dot2 = MADD(k2, adjoint_u, dot2);
        dot3 = MADD(k3, adjoint_u, dot3);
    }
    if (beta_bar) {
        beta_bar[0] = NAME(pairwise_sum)(dot0);
        beta_bar[1] = NAME(pairwise_sum)(dot1);
        beta_bar[2] = NAME(pairwise_sum)(dot2);
        beta_bar[3] = NAME(pairwise_sum)(dot3);
    }
}

static void NAME(adjoint_step)(const float *kernel, const float *mu, const float *previous_beta, const float *v_bar,
                               float source_exponent, long padded_rows, long columns, float *alpha, float *inverse_u,
                               float *alpha_bar, float *u_bar, float *kernel_bar, float *beta_bar) {
    if (columns == 4 && source_exponent == 1) {
        NAME(adjoint_four)(kernel, mu, previous_beta, v_bar, padded_rows, alpha_bar, kernel_bar, beta_bar);
        return;
    }
    for (long start = 0; start < padded_rows; start += 16) {
        v16 adjoint_alpha = NAME(load)(alpha_bar + start);
        for (long column = 0; column < columns; column++) {
            adjoint_alpha = MADD(NAME(load)(kernel + column * padded_rows + start), NAME(splat)(v_bar[column]), adjoint_alpha);
        }
        v16 current_alpha = NAME(load)(alpha + start);
        // -f_s times the balanced term; multiplying by -1 first is exact, so f_s = 1 rounds as before.
        v16 adjoint_u = NAME(splat)(-source_exponent) * adjoint_alpha * current_alpha * NAME(load)(inverse_u + start);
        NAME(store)(adjoint_u, u_bar + start);
        for (long column = 0; column < columns; column++) {
            float *slot = kernel_bar + column * padded_rows + start;
            v16 update = MADD(adjoint_u, NAME(splat)(previous_beta[column]), current_alpha * NAME(splat)(v_bar[column]));
            NAME(store)(NAME(load)(slot) + update, slot);
        }
    }
    if (!beta_bar) return;
    for (long column = 0; column < columns; column++) {
        const float *line = kernel + column * padded_rows;
        v16 total = NAME(splat)(0);
        for (long start = 0; start < padded_rows; start += 16) {
            total = MADD(NAME(load)(line + start), NAME(load)(u_bar + start), total);
        }
        beta_bar[column] = NAME(pairwise_sum)(total);
    }
}

static void NAME(multiply_by_kernel)(float *matrix, const float *kernel, long count, float factor) {
    v16 scale = NAME(splat)(factor);
    for (long start = 0; start < count; start += 16) {
        NAME(store)(NAME(load)(matrix + start) * NAME(load)(kernel + start) * scale, matrix + start);
    }
}

/// The first `lanes` floats at p, the rest `padding`.
static inline __attribute__((always_inline)) v16 NAME(load_any)(const float *p, long lanes, float padding) {
    if (lanes == 16) return NAME(load)(p);
    v16 value = NAME(splat)(padding);
    for (long lane = 0; lane < lanes; lane++) value[lane] = p[lane];
    return value;
}

static inline __attribute__((always_inline)) void NAME(store_any)(v16 value, float *p, long lanes) {
    if (lanes == 16) {
        NAME(store)(value, p);
        return;
    }
    for (long lane = 0; lane < lanes; lane++) p[lane] = value[lane];
}

static void NAME(log_affine)(const float *source, long count, float scale, float shift, float *destination) {
    for (long start = 0; start < count; start += 16) {
        long lanes = count - start < 16 ? count - start : 16;
        v16 value = NAME(log)(NAME(load_any)(source + start, lanes, 1.0f)) * scale + shift;
        NAME(store_any)(value, destination + start, lanes);
    }
}

static void NAME(affine)(const float *source, float a, float b, float *destination, long count) {
    v16 scale = NAME(splat)(a), shift = NAME(splat)(b);
    for (long start = 0; start < count; start += 16) {
        long lanes = count - start < 16 ? count - start : 16;
        NAME(store_any)(MADD(NAME(load_any)(source + start, lanes, 0), scale, shift), destination + start, lanes);
    }
}

static void NAME(cosine_distance)(const float *similarity, float proxy_scale, const float *vector_scales, float *distance,
                                  long count) {
    v16 scale = NAME(splat)(proxy_scale);
    for (long start = 0; start < count; start += 16) {
        long lanes = count - start < 16 ? count - start : 16;
        v16 cosine = NAME(load_any)(similarity + start, lanes, 0) * scale * NAME(load_any)(vector_scales + start, lanes, 0);
        v16 value = 1.0f - cosine;
        value = NAME(select)(value < 0.0f, NAME(splat)(0), value);
        NAME(store_any)(value, distance + start, lanes);
    }
}

static float NAME(similarity_gradient)(const float *cosine_gradient, const float *similarity, const float *flow,
                                       float upstream, float proxy_scale, const float *vector_scales,
                                       float *vector_terms, float *similarity_gradient, long count) {
    v16 scale = NAME(splat)(proxy_scale), g = NAME(splat)(upstream);
    v16 proxy_term = NAME(splat)(0);
    for (long start = 0; start < count; start += 16) {
        long lanes = count - start < 16 ? count - start : 16;
        v16 scaled = NAME(load_any)(cosine_gradient + start, lanes, 0) * scale * NAME(load_any)(vector_scales + start, lanes, 0);
        v16 product = scaled * NAME(load_any)(similarity + start, lanes, 0);
        proxy_term += product;
        NAME(store_any)(NAME(load_any)(vector_terms + start, lanes, 0) + product, vector_terms + start, lanes);
        NAME(store_any)(MADD(g, NAME(load_any)(flow + start, lanes, 0), scaled), similarity_gradient + start, lanes);
    }
    return NAME(pairwise_sum)(proxy_term);
}

static float NAME(dot_runs)(const float *a, const float *b, long runs, long stride, long count) {
    v16 total = NAME(splat)(0);
    for (long run = 0; run < runs; run++) {
        const float *x = a + run * stride, *y = b + run * stride;
        for (long start = 0; start < count; start += 16) {
            long lanes = count - start < 16 ? count - start : 16;
            total = MADD(NAME(load_any)(x + start, lanes, 0), NAME(load_any)(y + start, lanes, 0), total);
        }
    }
    return NAME(pairwise_sum)(total);
}

static const MPWKernelTable NAME(table) = {
    .form_kernel = NAME(form_kernel),
    .sinkhorn_kernel = NAME(sinkhorn_kernel),
    .sinkhorn_log = NAME(sinkhorn_log),
    .update_log_alpha = NAME(update_log_alpha),
    .update_alpha = NAME(update_alpha),
    .form_plan = NAME(form_plan),
    .recompute_alpha = NAME(recompute_alpha),
    .plan_term = NAME(plan_term),
    .adjoint_step = NAME(adjoint_step),
    .multiply_by_kernel = NAME(multiply_by_kernel),
    .log_affine = NAME(log_affine),
    .affine = NAME(affine),
    .cosine_distance = NAME(cosine_distance),
    .similarity_gradient = NAME(similarity_gradient),
    .dot_runs = NAME(dot_runs),
};
