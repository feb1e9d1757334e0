#include "qk_cpu.h"

static unsigned qk_detect(void) {
    unsigned f = 0;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) f |= QK_CPU_AVX2;
    if (__builtin_cpu_supports("fma")) f |= QK_CPU_FMA;
    if (__builtin_cpu_supports("avx512f")) f |= QK_CPU_AVX512F;
    if (__builtin_cpu_supports("avx512bw")) f |= QK_CPU_AVX512BW;
    if (__builtin_cpu_supports("avx512vl")) f |= QK_CPU_AVX512VL;
    if (__builtin_cpu_supports("avx512dq")) f |= QK_CPU_AVX512DQ;
    if (__builtin_cpu_supports("avx512vnni")) f |= QK_CPU_AVX512VNNI;
    if (__builtin_cpu_supports("avx512vbmi")) f |= QK_CPU_AVX512VBMI;
    if (__builtin_cpu_supports("avxvnni")) f |= QK_CPU_AVXVNNI;
    if (__builtin_cpu_supports("amx-int8")) f |= QK_CPU_AMXINT8;
    if (__builtin_cpu_supports("amx-tile")) f |= QK_CPU_AMXTILE;
    return f;
}

unsigned qk_cpu_features(void) {
    static unsigned cached = 0;
    static int done = 0;
    if (!__atomic_load_n(&done, __ATOMIC_ACQUIRE)) {
        cached = qk_detect();
        __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    }
    return cached;
}
