/* AVX-512 pieces shared by the AVX-512 VNNI and AMX tiers: the 16-channel output stage
 * (bit-identical to qk_requant_u8 / the reference float path) and the row-buffer allocator. */
#ifndef QK_INT8_AVX512_COMMON_H
#define QK_INT8_AVX512_COMMON_H
#include "qk_int8_internal.h"
#include <immintrin.h>

#define QK_T512 "avx512f,avx512bw,avx512vl,avx512dq,avx512vnni"

/* Output stage for 16 channels c0..c0+15 of output pixel ox of output row y (all images' rows
 * counted: y = image * oh + oy) from 16 raw int32 sums. */
static inline __attribute__((target(QK_T512), always_inline))
void qk512_out16(const qk_conv_ctx *cx, __m512i acc, size_t y, int ox, int c0) {
    const size_t opix = y * (size_t)cx->ow + (size_t)ox;
    int nc = cx->p->cout - c0;
    __mmask16 k = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1);
    acc = _mm512_add_epi32(acc, _mm512_loadu_si512(cx->beff + c0));
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(acc), _mm512_loadu_ps(cx->mult + c0));
    if (cx->outf) {
        v = _mm512_add_ps(v, _mm512_loadu_ps(cx->fbias + c0));
        _mm512_mask_storeu_ps(cx->outf + opix * cx->osx + c0, k, v);
        return;
    }
    const qk_conv_params *p = cx->p;
    if (cx->res) {
        __m128i r8 = _mm_maskz_loadu_epi8(k, cx->res + y * cx->rrs + (size_t)ox * cx->rsx + c0);
        __m512i r = _mm512_sub_epi32(_mm512_cvtepu8_epi32(r8), _mm512_set1_epi32(p->res_zp));
        v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_cvtepi32_ps(r), _mm512_set1_ps(p->res_mult)));
    }
    v = _mm512_add_ps(v, _mm512_set1_ps((float)p->out_zp));
    v = _mm512_max_ps(v, _mm512_set1_ps(p->relu ? (float)p->out_zp : 0.0f));
    v = _mm512_min_ps(v, _mm512_set1_ps(255.0f));
    _mm512_mask_cvtepi32_storeu_epi8(cx->out + opix * cx->osx + c0, k, _mm512_cvtps_epi32(v));
}

/* The same output stage for 16 channels c0.. of npix consecutive output pixels ox0.. of output
 * row y from int32 sums acc[m * acc_stride + 0..15], with the per-channel terms and the mode
 * hoisted out of the loop. */
static inline __attribute__((target(QK_T512)))
void qk512_out_block(const qk_conv_ctx *cx, const int32_t *acc, size_t acc_stride, int npix, size_t y, int ox0, int c0) {
    const qk_conv_params *p = cx->p;
    const size_t opix0 = y * (size_t)cx->ow + (size_t)ox0;
    int nc = p->cout - c0;
    __mmask16 k = nc >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nc) - 1);
    const __m512i be = _mm512_loadu_si512(cx->beff + c0);
    const __m512 mu = _mm512_loadu_ps(cx->mult + c0);
    if (cx->outf) {
        const __m512 fb = _mm512_loadu_ps(cx->fbias + c0);
        float *o = cx->outf + opix0 * cx->osx + c0;
        for (int m = 0; m < npix; m++) {
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_load_si512(acc + m * acc_stride), be)), mu);
            _mm512_mask_storeu_ps(o + (size_t)m * cx->osx, k, _mm512_add_ps(v, fb));
        }
        return;
    }
    const __m512 zp = _mm512_set1_ps((float)p->out_zp);
    const __m512 lo = _mm512_set1_ps(p->relu ? (float)p->out_zp : 0.0f), hi = _mm512_set1_ps(255.0f);
    uint8_t *o = cx->out + opix0 * cx->osx + c0;
    if (!cx->res) {
        for (int m = 0; m < npix; m++) {
            __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_load_si512(acc + m * acc_stride), be)), mu);
            v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, zp), lo), hi);
            _mm512_mask_cvtepi32_storeu_epi8(o + (size_t)m * cx->osx, k, _mm512_cvtps_epi32(v));
        }
        return;
    }
    const __m512i rz = _mm512_set1_epi32(p->res_zp);
    const __m512 rm = _mm512_set1_ps(p->res_mult);
    const uint8_t *r = cx->res + y * cx->rrs + (size_t)ox0 * cx->rsx + c0;
    for (int m = 0; m < npix; m++) {
        __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(_mm512_load_si512(acc + m * acc_stride), be)), mu);
        __m512i ri = _mm512_sub_epi32(_mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(k, r + (size_t)m * cx->rsx)), rz);
        v = _mm512_add_ps(v, _mm512_mul_ps(_mm512_cvtepi32_ps(ri), rm));
        v = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(v, zp), lo), hi);
        _mm512_mask_cvtepi32_storeu_epi8(o + (size_t)m * cx->osx, k, _mm512_cvtps_epi32(v));
    }
}

#endif
