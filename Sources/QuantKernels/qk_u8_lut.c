/* Byte table lookup over strided u8 pixels: out[p * osx + i] = lut[in[p * isx + i]], i < c.
 * The requantizing concat copy (qk_u8_requantize_into) runs its 256-entry table through this.
 * Two paths with identical results (the table is the whole function, so a lookup cannot round
 * differently): plain C, and AVX-512 VBMI, which looks 64 bytes up at once with two vpermi2b
 * (128-entry halves of the table) and a blend on bit 7. The VBMI path runs when the CPU has it
 * and the int8 tier in use is an AVX-512 one (avx512vnni or amx), so QK_INT8_TIER=ref (or any
 * lower tier) keeps everything on the plain C twin the tests compare against. */
#include "qk_int8_internal.h"
#include "qk_cpu.h"
#include <immintrin.h>

static void qk_u8_lut_pixels_ref(const uint8_t *lut, const uint8_t *in, size_t isx, uint8_t *out,
                                 size_t osx, size_t c, long p0, long p1) {
    for (long p = p0; p < p1; p++) {
        const uint8_t *s = in + (size_t)p * isx;
        uint8_t *d = out + (size_t)p * osx;
        for (size_t i = 0; i < c; i++) d[i] = lut[s[i]];
    }
}

__attribute__((target("avx512f,avx512bw,avx512vbmi")))
static void qk_u8_lut_pixels_vbmi(const uint8_t *lut, const uint8_t *in, size_t isx, uint8_t *out,
                                  size_t osx, size_t c, long p0, long p1) {
    const __m512i t0 = _mm512_loadu_si512(lut), t1 = _mm512_loadu_si512(lut + 64);
    const __m512i t2 = _mm512_loadu_si512(lut + 128), t3 = _mm512_loadu_si512(lut + 192);
    const size_t full = c & ~(size_t)63;
    const __mmask64 tail = (c & 63) ? (__mmask64)((1ULL << (c & 63)) - 1) : 0;
    for (long p = p0; p < p1; p++) {
        const uint8_t *s = in + (size_t)p * isx;
        uint8_t *d = out + (size_t)p * osx;
        for (size_t i = 0; i < full; i += 64) {
            __m512i x = _mm512_loadu_si512(s + i);
            __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
            _mm512_storeu_si512(d + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi));
        }
        if (tail) {
            /* Masked load/store: bytes past c are neither read (faults suppressed) nor written. */
            __m512i x = _mm512_maskz_loadu_epi8(tail, s + full);
            __m512i lo = _mm512_permutex2var_epi8(t0, x, t1), hi = _mm512_permutex2var_epi8(t2, x, t3);
            _mm512_mask_storeu_epi8(d + full, tail, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), lo, hi));
        }
    }
}

static int qk_u8_lut_vbmi_supported(void) {
    const unsigned need = QK_CPU_AVX512F | QK_CPU_AVX512BW | QK_CPU_AVX512VBMI;
    return (qk_cpu_features() & need) == need;
}

int qk_u8_lut_vbmi_active(void) {
    int tier = qk_int8_active_tier();
    return qk_u8_lut_vbmi_supported() && (tier == QK_TIER_AVX512VNNI || tier == QK_TIER_AMX);
}

void qk_u8_lut_pixels(const uint8_t *lut, const uint8_t *in, size_t isx, uint8_t *out, size_t osx,
                      size_t c, long p0, long p1) {
    if (qk_u8_lut_vbmi_active()) qk_u8_lut_pixels_vbmi(lut, in, isx, out, osx, c, p0, p1);
    else qk_u8_lut_pixels_ref(lut, in, isx, out, osx, c, p0, p1);
}

int qk_u8_lut_apply(const uint8_t *lut, const uint8_t *in, size_t npix, int c, int isx, uint8_t *out, int osx,
                    int path) {
    if (!lut || !in || !out || c <= 0 || isx < c || osx < c) return QK_ERR_ARG;
    switch (path) {
    case QK_LUT_AUTO: qk_u8_lut_pixels(lut, in, (size_t)isx, out, (size_t)osx, (size_t)c, 0, (long)npix); return QK_OK;
    case QK_LUT_REF: qk_u8_lut_pixels_ref(lut, in, (size_t)isx, out, (size_t)osx, (size_t)c, 0, (long)npix); return QK_OK;
    case QK_LUT_VBMI:
        if (!qk_u8_lut_vbmi_supported()) return QK_ERR_UNSUPPORTED;
        qk_u8_lut_pixels_vbmi(lut, in, (size_t)isx, out, (size_t)osx, (size_t)c, 0, (long)npix);
        return QK_OK;
    default: return QK_ERR_ARG;
    }
}
