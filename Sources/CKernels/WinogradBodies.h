// Winograd F(4x4, 3x3) transforms for 3x3 stride-1 convolutions on NHWC activations, included once
// per build by Kernels.c like KernelBodies.h. The products in the transformed domain are 36
// independent matrix products done by the caller's sgemm; these loops only move data in and out
// of that domain, eight channels at a time.
//
// With the points 0, ±1, ±2 (Lavin and Gray, 2016): forward Y = A^T [(G g G^T) o (B^T d B)] A,
// and by the chain rule the weight gradient is G^T [(A dY A^T) o (B^T d B)] G summed over tiles.
// A tile is 4x4 outputs read from 6x6 inputs; tile t of a chunk is global tile first_tile + t,
// numbered image by image, row by row. Transformed data is [36][tile_count][channels].

typedef float v8u __attribute__((ext_vector_type(8), aligned(4)));

/// Eight channels from p, or the first `lanes` of them and zeros.
static inline __attribute__((always_inline)) v8 NAME(wino_load)(const float *p, long lanes) {
    if (lanes == 8) return *(const v8u *)p;
    v8 value = (v8)0.0f;
    for (long lane = 0; lane < lanes; lane++) value[lane] = p[lane];
    return value;
}

static inline __attribute__((always_inline)) void NAME(wino_store)(v8 value, float *p, long lanes) {
    if (lanes == 8) {
        *(v8u *)p = value;
        return;
    }
    for (long lane = 0; lane < lanes; lane++) p[lane] = value[lane];
}

/// r = B^T d for one column (or row) of six.
static inline __attribute__((always_inline)) void NAME(wino_input_1d)(const v8 *d, long step, v8 *r, long out_step) {
    v8 d0 = d[0], d1 = d[step], d2 = d[2 * step], d3 = d[3 * step], d4 = d[4 * step], d5 = d[5 * step];
    r[0] = MADD(d0, (v8)4.0f, MADD(d2, (v8)-5.0f, d4));
    r[out_step] = MADD(d1 + d2, (v8)-4.0f, d3 + d4);
    r[2 * out_step] = MADD(d1 - d2, (v8)4.0f, d4 - d3);
    r[3 * out_step] = MADD(d3 - d1, (v8)2.0f, d4 - d2);
    r[4 * out_step] = MADD(d1 - d3, (v8)2.0f, d4 - d2);
    r[5 * out_step] = MADD(d1, (v8)4.0f, MADD(d3, (v8)-5.0f, d5));
}

/// Tiles begin..<end of a chunk: B^T d B of the 6x6 input patch at (4 ty - pad_y, 4 tx - pad_x),
/// zeros outside the image.
static void NAME(wino_input)(const float *source, long height, long width, long channels, long pad_y, long pad_x,
                             long tiles_y, long tiles_x, long first_tile, long tile_count, long begin, long end,
                             float *transformed) {
    long plane = tile_count * channels;
    for (long t = begin; t < end; t++) {
        long global = first_tile + t, image = global / (tiles_y * tiles_x), within = global % (tiles_y * tiles_x);
        long y0 = (within / tiles_x) * 4 - pad_y, x0 = (within % tiles_x) * 4 - pad_x;
        const float *base = source + image * height * width * channels;
        for (long c = 0; c < channels; c += 8) {
            long lanes = channels - c < 8 ? channels - c : 8;
            v8 d[36], r[36];
            for (long i = 0; i < 6; i++) {
                long y = y0 + i;
                for (long j = 0; j < 6; j++) {
                    long x = x0 + j;
                    d[i * 6 + j] = (y >= 0 && y < height && x >= 0 && x < width)
                        ? NAME(wino_load)(base + (y * width + x) * channels + c, lanes) : (v8)0.0f;
                }
            }
            for (long j = 0; j < 6; j++) NAME(wino_input_1d)(d + j, 6, r + j, 6);
            for (long i = 0; i < 6; i++) NAME(wino_input_1d)(r + i * 6, 1, d + i * 6, 1);
            float *out = transformed + t * channels + c;
            for (long k = 0; k < 36; k++) NAME(wino_store)(d[k], out + k * plane, lanes);
        }
    }
}

/// o = A^T m for one column (or row) of six.
static inline __attribute__((always_inline)) void NAME(wino_output_1d)(const v8 *m, long step, v8 *o, long out_step) {
    v8 m0 = m[0], m1 = m[step], m2 = m[2 * step], m3 = m[3 * step], m4 = m[4 * step], m5 = m[5 * step];
    v8 sum12 = m1 + m2, difference12 = m1 - m2, sum34 = m3 + m4, difference34 = m3 - m4;
    o[0] = m0 + sum12 + sum34;
    o[out_step] = MADD(difference34, (v8)2.0f, difference12);
    o[2 * out_step] = MADD(sum34, (v8)4.0f, sum12);
    o[3 * out_step] = MADD(difference34, (v8)8.0f, difference12 + m5);
}

/// Tiles begin..<end of a chunk: destination = A^T m A + bias, then + the destination's previous
/// contents (adds_destination), then max(., 0) (relu), written where the 4x4 tile lies inside the
/// height x width output.
static void NAME(wino_output)(const float *transformed, long height, long width, long channels, long tiles_y,
                              long tiles_x, long first_tile, long tile_count, long begin, long end, const float *bias,
                              int adds_destination, int relu, float *destination) {
    long plane = tile_count * channels;
    for (long t = begin; t < end; t++) {
        long global = first_tile + t, image = global / (tiles_y * tiles_x), within = global % (tiles_y * tiles_x);
        long y0 = (within / tiles_x) * 4, x0 = (within % tiles_x) * 4;
        long rows = height - y0 < 4 ? height - y0 : 4, columns = width - x0 < 4 ? width - x0 : 4;
        float *base = destination + image * height * width * channels;
        for (long c = 0; c < channels; c += 8) {
            long lanes = channels - c < 8 ? channels - c : 8;
            v8 m[36], r[24], o[16];
            const float *in = transformed + t * channels + c;
            for (long k = 0; k < 36; k++) m[k] = NAME(wino_load)(in + k * plane, lanes);
            for (long j = 0; j < 6; j++) NAME(wino_output_1d)(m + j, 6, r + j, 6);
            for (long i = 0; i < 4; i++) NAME(wino_output_1d)(r + i * 6, 1, o + i * 4, 1);
            v8 offset = bias ? NAME(wino_load)(bias + c, lanes) : (v8)0.0f;
            for (long i = 0; i < rows; i++) {
                for (long j = 0; j < columns; j++) {
                    float *p = base + ((y0 + i) * width + x0 + j) * channels + c;
                    v8 value = o[i * 4 + j] + offset;
                    if (adds_destination) value += NAME(wino_load)(p, lanes);
                    if (relu) value = __builtin_elementwise_max(value, (v8)0.0f);
                    NAME(wino_store)(value, p, lanes);
                }
            }
        }
    }
}

/// z = A y for one column (or row) of four.
static inline __attribute__((always_inline)) void NAME(wino_gradient_1d)(const v8 *y, long step, v8 *z, long out_step) {
    v8 y0 = y[0], y1 = y[step], y2 = y[2 * step], y3 = y[3 * step];
    v8 even = y0 + y2, odd = y1 + y3, even4 = MADD(y2, (v8)4.0f, y0), odd4 = MADD(y3, (v8)8.0f, y1 + y1);
    z[0] = y0;
    z[out_step] = even + odd;
    z[2 * out_step] = even - odd;
    z[3 * out_step] = even4 + odd4;
    z[4 * out_step] = even4 - odd4;
    z[5 * out_step] = y3;
}

/// Tiles begin..<end of a chunk: A y A^T of the 4x4 output-gradient tile at (4 ty, 4 tx), zeros
/// outside the height x width output (the forward pass computes those outputs and drops them).
static void NAME(wino_gradient)(const float *gradient, long height, long width, long channels, long tiles_y,
                                long tiles_x, long first_tile, long tile_count, long begin, long end, float *transformed) {
    long plane = tile_count * channels;
    for (long t = begin; t < end; t++) {
        long global = first_tile + t, image = global / (tiles_y * tiles_x), within = global % (tiles_y * tiles_x);
        long y0 = (within / tiles_x) * 4, x0 = (within % tiles_x) * 4;
        long rows = height - y0 < 4 ? height - y0 : 4, columns = width - x0 < 4 ? width - x0 : 4;
        const float *base = gradient + image * height * width * channels;
        for (long c = 0; c < channels; c += 8) {
            long lanes = channels - c < 8 ? channels - c : 8;
            v8 y[16], r[24], z[36];
            for (long i = 0; i < 4; i++) {
                for (long j = 0; j < 4; j++) {
                    y[i * 4 + j] = (i < rows && j < columns)
                        ? NAME(wino_load)(base + ((y0 + i) * width + x0 + j) * channels + c, lanes) : (v8)0.0f;
                }
            }
            for (long j = 0; j < 4; j++) NAME(wino_gradient_1d)(y + j, 4, r + j, 4);
            for (long i = 0; i < 6; i++) NAME(wino_gradient_1d)(r + i * 4, 1, z + i * 6, 1);
            float *out = transformed + t * channels + c;
            for (long k = 0; k < 36; k++) NAME(wino_store)(z[k], out + k * plane, lanes);
        }
    }
}

/// w = G g for three taps: the filter's transform, in double so that it rounds once.
static inline void NAME(wino_filter_1d)(const double *g, long step, double *w, long out_step) {
    double g0 = g[0], g1 = g[step], g2 = g[2 * step];
    w[0] = g0 / 4;
    w[out_step] = -(g0 + g1 + g2) / 6;
    w[2 * out_step] = -(g0 - g1 + g2) / 6;
    w[3 * out_step] = g0 / 24 + g1 / 12 + g2 / 6;
    w[4 * out_step] = g0 / 24 - g1 / 12 + g2 / 6;
    w[5 * out_step] = g2;
}

/// Output channels begin..<end of OIHW 3x3 weights to G g G^T, [36][inputs][outputs]; with
/// backward_data set, the filters of the backward-data pass instead (each turned by 180 degrees,
/// inputs and outputs swapped): [36][outputs][inputs].
static void NAME(wino_filter)(const float *weights, long outputs, long inputs, int backward_data, long begin, long end,
                              float *transformed) {
    long plane = outputs * inputs;
    for (long o = begin; o < end; o++) {
        for (long i = 0; i < inputs; i++) {
            const float *w = weights + (o * inputs + i) * 9;
            double g[9], r[18], u[36];
            for (long k = 0; k < 9; k++) g[k] = backward_data ? w[8 - k] : w[k];
            for (long j = 0; j < 3; j++) NAME(wino_filter_1d)(g + j, 3, r + j, 3);
            for (long k = 0; k < 6; k++) NAME(wino_filter_1d)(r + k * 3, 1, u + k * 6, 1);
            long at = backward_data ? o * inputs + i : i * outputs + o;
            for (long k = 0; k < 36; k++) transformed[k * plane + at] = (float)u[k];
        }
    }
}

/// g = G^T u for six values.
static inline void NAME(wino_filter_gradient_1d)(const double *u, long step, double *g, long out_step) {
    double u0 = u[0], u1 = u[step], u2 = u[2 * step], u3 = u[3 * step], u4 = u[4 * step], u5 = u[5 * step];
    g[0] = u0 / 4 - (u1 + u2) / 6 + (u3 + u4) / 24;
    g[out_step] = (u2 - u1) / 6 + (u3 - u4) / 12;
    g[2 * out_step] = (u3 + u4 - u1 - u2) / 6 + u5;
}

/// Output channels begin..<end of the weight gradient, OIHW, from its transform [36][inputs][outputs].
static void NAME(wino_filter_gradient)(const float *transformed, long outputs, long inputs, long begin, long end,
                                       float *gradient) {
    long plane = outputs * inputs;
    for (long o = begin; o < end; o++) {
        for (long i = 0; i < inputs; i++) {
            double u[36], r[18], g[9];
            for (long k = 0; k < 36; k++) u[k] = transformed[k * plane + i * outputs + o];
            for (long j = 0; j < 6; j++) NAME(wino_filter_gradient_1d)(u + j, 6, r + j, 6);
            for (long k = 0; k < 3; k++) NAME(wino_filter_gradient_1d)(r + k * 6, 1, g + k * 3, 1);
            for (long k = 0; k < 9; k++) gradient[(o * inputs + i) * 9 + k] = (float)g[k];
        }
    }
}

static const MPWWinogradTable NAME(winograd_table) = {
    .input = NAME(wino_input),
    .output = NAME(wino_output),
    .gradient = NAME(wino_gradient),
    .filter = NAME(wino_filter),
    .filter_gradient = NAME(wino_filter_gradient),
};
