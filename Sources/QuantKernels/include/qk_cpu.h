/* CPU feature detection for runtime kernel dispatch. */
#ifndef QK_CPU_H
#define QK_CPU_H
#ifdef __cplusplus
extern "C" {
#endif

/** Bit flags of the x86 features the kernels dispatch on. */
enum {
    QK_CPU_AVX2 = 1 << 0,
    QK_CPU_FMA = 1 << 1,
    QK_CPU_AVX512F = 1 << 2,
    QK_CPU_AVX512BW = 1 << 3,
    QK_CPU_AVX512VL = 1 << 4,
    QK_CPU_AVX512DQ = 1 << 5,
    QK_CPU_AVX512VNNI = 1 << 6,
    QK_CPU_AVXVNNI = 1 << 7,
    QK_CPU_AMXINT8 = 1 << 8,
    QK_CPU_AMXTILE = 1 << 9,
    QK_CPU_AVX512VBMI = 1 << 10,
};

/** The features this CPU reports (cached after the first call). */
unsigned qk_cpu_features(void);

#ifdef __cplusplus
}
#endif
#endif
