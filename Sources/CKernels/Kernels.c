// One source, three builds: KernelBodies.h (and WinogradBodies.h) is included under each instruction set's target
// attribute, and `mpw_kernels_table` returns the build asked for. No compiler flag is needed, so
// a plain `swift build` (how SwiftPM builds us as a dependency) gets the AVX2 and AVX-512 code too.
#include "CKernels.h"
#include <math.h>

// Products and sums stay separate unless MADD fuses them, so every build computes exactly what
// its MADD says and the FMA builds agree bit for bit.
#pragma clang fp contract(off)
// The 16-lane helpers are always inlined, so their vector returns never cross a call boundary.
#pragma clang diagnostic ignored "-Wpsabi"

typedef float v16 __attribute__((ext_vector_type(16)));
typedef float v16u __attribute__((ext_vector_type(16), aligned(4)));
typedef float v8 __attribute__((ext_vector_type(8)));
typedef float v4 __attribute__((ext_vector_type(4)));
typedef float v2 __attribute__((ext_vector_type(2)));
typedef int vi16 __attribute__((ext_vector_type(16)));
typedef double vd16 __attribute__((ext_vector_type(16)));
typedef double vd16u __attribute__((ext_vector_type(16), aligned(8)));
typedef double vd8 __attribute__((ext_vector_type(8)));
typedef double vd4 __attribute__((ext_vector_type(4)));
typedef long long vl16 __attribute__((ext_vector_type(16)));
typedef long long vl8 __attribute__((ext_vector_type(8)));
typedef long long vl4 __attribute__((ext_vector_type(4)));

#define JOIN2(a, b) a##_##b
#define JOIN(a, b) JOIN2(a, b)
#define NAME(name) JOIN(name, VARIANT)

#if defined(__x86_64__)

#define VARIANT avx512
#define MADD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,f16c,bmi,bmi2,lzcnt,popcnt"))), apply_to = function)
#include "KernelBodies.h"
#include "WinogradBodies.h"
#pragma clang attribute pop
#undef VARIANT
#undef MADD

#define VARIANT avx2
#define MADD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi,bmi2,lzcnt,popcnt"))), apply_to = function)
#include "KernelBodies.h"
#include "WinogradBodies.h"
#pragma clang attribute pop
#undef VARIANT
#undef MADD

#endif

// The baseline of the target (SSE2 on x86-64, NEON on arm64, whose FMA is always present).
#define VARIANT portable
#if defined(__aarch64__)
#define MADD(a, b, c) __builtin_elementwise_fma((a), (b), (c))
#else
#define MADD(a, b, c) ((a) * (b) + (c))
#endif
#include "KernelBodies.h"
#include "WinogradBodies.h"
#undef VARIANT
#undef MADD

#if defined(__x86_64__)
#include <cpuid.h>

/// The CPU's features and whether the operating system saves the registers they use (XCR0).
static int mpw_x86_supports(int variant) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int fma = (c >> 12) & 1, popcnt = (c >> 23) & 1, osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, f16c = (c >> 29) & 1;
    if (!(fma && popcnt && osxsave && avx && f16c)) return 0;
    unsigned xcr0_low, xcr0_high;
    __asm__("xgetbv" : "=a"(xcr0_low), "=d"(xcr0_high) : "c"(0));
    if ((xcr0_low & 0x6) != 0x6) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    int bmi = (b >> 3) & 1, avx2 = (b >> 5) & 1, bmi2 = (b >> 8) & 1;
    int avx512f = (b >> 16) & 1, avx512dq = (b >> 17) & 1, avx512bw = (b >> 30) & 1, avx512vl = (b >> 31) & 1;
    if (!__get_cpuid(0x80000001, &a, &b, &c, &d)) return 0;
    int lzcnt = (c >> 5) & 1;
    int has_avx2 = avx2 && bmi && bmi2 && lzcnt;
    if (variant == MPW_KERNELS_AVX2) return has_avx2;
    return has_avx2 && avx512f && avx512dq && avx512bw && avx512vl && (xcr0_low & 0xE0) == 0xE0;
}
#endif

int mpw_kernels_supported(int variant) {
    switch (variant) {
#if defined(__x86_64__)
    case MPW_KERNELS_AVX512:
    case MPW_KERNELS_AVX2:
        return mpw_x86_supports(variant);
#endif
    case MPW_KERNELS_PORTABLE:
        return 1;
    default:
        return 0;
    }
}

const MPWKernelTable *mpw_kernels_table(int variant) {
    switch (variant) {
#if defined(__x86_64__)
    case MPW_KERNELS_AVX512: return &table_avx512;
    case MPW_KERNELS_AVX2: return &table_avx2;
#endif
    case MPW_KERNELS_PORTABLE: return &table_portable;
    default: return 0;
    }
}

const MPWWinogradTable *mpw_winograd_table(int variant) {
    switch (variant) {
#if defined(__x86_64__)
    case MPW_KERNELS_AVX512: return &winograd_table_avx512;
    case MPW_KERNELS_AVX2: return &winograd_table_avx2;
#endif
    case MPW_KERNELS_PORTABLE: return &winograd_table_portable;
    default: return 0;
    }
}
