/* 256-bit pieces shared by the AVX-VNNI and AVX2 tiers: the 8-channel output stage
 * (bit-identical to qk_requant_u8 / the reference float path) and row-buffer setup. */
#ifndef QK_INT8_AVX2_COMMON_H
#define QK_INT8_AVX2_COMMON_H
#include "qk_int8_internal.h"
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

/* Output stage for channels c0..c0+7 (those < cout) of output pixel ox of output row y (all
 * images' rows counted). */
static inline __attribute__((target("avx2"), always_inline))
void qk256_out8(const qk_conv_ctx *cx, __m256i acc, size_t y, int ox, int c0) {
    const size_t opix = y * (size_t)cx->ow + (size_t)ox;
    int nc = cx->p->cout - c0;
    if (nc <= 0) return;
    if (nc > 8) nc = 8;
    acc = _mm256_add_epi32(acc, _mm256_loadu_si256((const __m256i *)(cx->beff + c0)));
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(acc), _mm256_loadu_ps(cx->mult + c0));
    if (cx->outf) {
        v = _mm256_add_ps(v, _mm256_loadu_ps(cx->fbias + c0));
        float t[8];
        _mm256_storeu_ps(t, v);
        memcpy(cx->outf + opix * cx->osx + c0, t, sizeof(float) * nc);
        return;
    }
    const qk_conv_params *p = cx->p;
    if (cx->res) {
        uint8_t rb[16] = {0};
        memcpy(rb, cx->res + y * cx->rrs + (size_t)ox * cx->rsx + c0, (size_t)nc);
        __m256i r = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)rb));
        r = _mm256_sub_epi32(r, _mm256_set1_epi32(p->res_zp));
        v = _mm256_add_ps(v, _mm256_mul_ps(_mm256_cvtepi32_ps(r), _mm256_set1_ps(p->res_mult)));
    }
    v = _mm256_add_ps(v, _mm256_set1_ps((float)p->out_zp));
    v = _mm256_max_ps(v, _mm256_set1_ps(p->relu ? (float)p->out_zp : 0.0f));
    v = _mm256_min_ps(v, _mm256_set1_ps(255.0f));
    int32_t q[8];
    _mm256_storeu_si256((__m256i *)q, _mm256_cvtps_epi32(v));
    uint8_t *o = cx->out + opix * cx->osx + c0;
    for (int i = 0; i < nc; i++) o[i] = (uint8_t)q[i];
}

#endif
