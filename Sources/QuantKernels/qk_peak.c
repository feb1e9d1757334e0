/* Peak loops (see qk_peak.h). Operands stay in registers; the accumulator chains are independent
 * so the loop measures issue throughput, not latency. */
#include "qk_peak.h"
#include "qk_cpu.h"
#include "qk_int8_internal.h"
#include <immintrin.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

static double qk_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define QK_PEAK_ITERS 20000

__attribute__((target("avx512f,avx512vnni"), noinline))
static int32_t vnni512_block(long iters) {
    __m512i a[12];
    __m512i x = _mm512_set1_epi32(0x01020304), w = _mm512_set1_epi32(0x01ff01ff);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_epi32(i);
    for (long it = 0; it < iters; it++) {
        __asm__ volatile("" : "+v"(x), "+v"(w));
        for (int i = 0; i < 12; i++) a[i] = _mm512_dpbusd_epi32(a[i], x, w);
        for (int i = 0; i < 12; i++) a[i] = _mm512_dpbusd_epi32(a[i], w, x);
    }
    __m512i s = a[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_epi32(s, a[i]);
    return _mm512_reduce_add_epi32(s);
}

__attribute__((target("avx2,avxvnni"), noinline))
static int32_t avxvnni_block(long iters) {
    __m256i a[12];
    __m256i x = _mm256_set1_epi32(0x01020304), w = _mm256_set1_epi32(0x01ff01ff);
    for (int i = 0; i < 12; i++) a[i] = _mm256_set1_epi32(i);
    for (long it = 0; it < iters; it++) {
        __asm__ volatile("" : "+v"(x), "+v"(w));
        for (int i = 0; i < 12; i++) a[i] = _mm256_dpbusd_avx_epi32(a[i], x, w);
        for (int i = 0; i < 12; i++) a[i] = _mm256_dpbusd_avx_epi32(a[i], w, x);
    }
    __m256i s = a[0];
    for (int i = 1; i < 12; i++) s = _mm256_add_epi32(s, a[i]);
    int32_t o[8];
    memcpy(o, &s, 32);
    return o[0] + o[7];
}

__attribute__((target("avx512f"), noinline))
static float fma512_block(long iters) {
    __m512 a[12];
    __m512 x = _mm512_set1_ps(0.999f), y = _mm512_set1_ps(1e-7f);
    for (int i = 0; i < 12; i++) a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
        __asm__ volatile("" : "+v"(x), "+v"(y));
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
        for (int i = 0; i < 12; i++) a[i] = _mm512_fmadd_ps(a[i], x, y);
    }
    __m512 s = a[0];
    for (int i = 1; i < 12; i++) s = _mm512_add_ps(s, a[i]);
    return _mm512_reduce_add_ps(s);
}

typedef struct {
    uint8_t palette_id, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} qk_tilecfg;

__attribute__((target("amx-tile,amx-int8"), noinline))
static void amx_block(long iters, const uint8_t *a, const int8_t *b, int32_t *c) {
    qk_tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette_id = 1;
    for (int t = 0; t < 8; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
    _tile_loadconfig(&cfg);
    _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
    _tile_loadd(4, a, 64); _tile_loadd(5, a, 64);
    _tile_loadd(6, b, 64); _tile_loadd(7, b, 64);
    for (long it = 0; it < iters; it++) {
        _tile_dpbusd(0, 4, 6); _tile_dpbusd(1, 4, 7);
        _tile_dpbusd(2, 5, 6); _tile_dpbusd(3, 5, 7);
    }
    _tile_stored(0, c, 64);
    _tile_release();
}

typedef double (*qk_block_fn)(long iters);

static double vnni512_run(long n) { return (double)vnni512_block(n); }
static double avxvnni_run(long n) { return (double)avxvnni_block(n); }
static double fma512_run(long n) { return (double)fma512_block(n); }
static double amx_run(long n) {
    static uint8_t a[1024] __attribute__((aligned(64)));
    static int8_t b[1024] __attribute__((aligned(64)));
    static int32_t c[256] __attribute__((aligned(64)));
    memset(a, 1, sizeof a); memset(b, 1, sizeof b);
    amx_block(n, a, b, c);
    return (double)c[0];
}

/* Repeats blocks for `seconds`; returns the best block rate in ops/s / 1e9. */
static double qk_measure(qk_block_fn fn, long iters, double ops_per_iter, double seconds) {
    volatile double sink = 0;
    double best = 0, end = qk_now() + (seconds > 0 ? seconds : 0.2);
    do {
        double t0 = qk_now();
        sink += fn(iters);
        double dt = qk_now() - t0;
        double rate = ops_per_iter * (double)iters / dt / 1e9;
        if (rate > best) best = rate;
    } while (qk_now() < end);
    (void)sink;
    return best;
}

double qk_peak_vnni512_gops(double seconds) {
    if (!(qk_cpu_features() & QK_CPU_AVX512VNNI)) return 0;
    return qk_measure(vnni512_run, QK_PEAK_ITERS, 24.0 * 64 * 2, seconds);
}

double qk_peak_avxvnni_gops(double seconds) {
    if (!(qk_cpu_features() & QK_CPU_AVXVNNI)) return 0;
    return qk_measure(avxvnni_run, QK_PEAK_ITERS, 24.0 * 32 * 2, seconds);
}

double qk_peak_fma512_gflops(double seconds) {
    if (!(qk_cpu_features() & QK_CPU_AVX512F)) return 0;
    return qk_measure(fma512_run, QK_PEAK_ITERS, 24.0 * 16 * 2, seconds);
}

double qk_peak_amx_gops(double seconds) {
    if (!(qk_cpu_features() & QK_CPU_AMXINT8) || !qk_amx_enable()) return 0;
    return qk_measure(amx_run, QK_PEAK_ITERS / 10, 4.0 * 16 * 16 * 64 * 2, seconds);
}
