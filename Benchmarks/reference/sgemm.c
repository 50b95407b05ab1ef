// The same OpenBLAS sgemm called from C, as the yardstick for `mpw bench gemm`.
// Build and run: Benchmarks/reference/run-sgemm [threads]
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    openblas_set_num_threads(threads);
    int sizes[] = {256, 512, 1024, 2048};
    for (int s = 0; s < 4; s++) {
        int n = sizes[s];
        float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
        for (int i = 0; i < n * n; i++) { a[i] = (float)(i % 13) / 13; b[i] = (float)(i % 7) / 7; }
        for (int i = 0; i < 2; i++) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double samples[1000];
        int count = 0;
        double start = now();
        while ((count < 5 || now() - start < 1.0) && count < 1000) {
            double t = now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
            samples[count++] = now() - t;
        }
        qsort(samples, count, sizeof(double), compare);
        printf("sgemm %d GFLOP/s %.1f\n", n, 2.0 * n * n * n / samples[count / 2] / 1e9);
        free(a); free(b); free(c);
    }
    return 0;
}
