/* AVX-512 VNNI tier: direct NHWC conv on padded row buffers. Register tile: MB output pixels x
 * NB blocks of 16 output channels (NB*MB <= 24 zmm accumulators); each step broadcasts 4 input
 * channels of a pixel (one dword) and issues vpdpbusd against 16oc x 4ic of packed weights. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8_avx512_common.h"
#include <stdlib.h>
#include <string.h>

static inline __attribute__((target(QK_T512), always_inline))
void vnni_row(const qk_conv_ctx *cx, const uint8_t *const *rows, size_t y, int ob0, const int NB, const int MB) {
    const qk_conv_params *p = cx->p;
    const int KH = p->kh, KW = cx->kw, cp = cx->cpad, G = cp / 4;
    const size_t xs = (size_t)cx->sw * cp, ds = (size_t)cx->dil * cp;
    const size_t bstride = (size_t)KH * KW * cp * 16;
    const int8_t *wb = cx->pwk->blk + (size_t)ob0 * bstride;
    for (int ox0 = 0; ox0 < cx->ow; ox0 += MB) {
        __m512i acc[4][12];
#pragma clang loop unroll(full)
        for (int b = 0; b < NB; b++)
#pragma clang loop unroll(full)
            for (int m = 0; m < MB; m++) acc[b][m] = _mm512_setzero_si512();
        for (int ky = 0; ky < KH; ky++) {
            const uint8_t *r = rows[ky] + (size_t)ox0 * xs;
            for (int kx = 0; kx < KW; kx++) {
                const uint8_t *rp = r + kx * ds;
                const int8_t *wp = wb + (size_t)(ky * KW + kx) * cp * 16;
                for (int g = 0; g < G; g++) {
                    __m512i wv[4];
#pragma clang loop unroll(full)
                    for (int b = 0; b < NB; b++) wv[b] = _mm512_load_si512((const void *)(wp + b * bstride + g * 64));
#pragma clang loop unroll(full)
                    for (int m = 0; m < MB; m++) {
                        int32_t x4;
                        memcpy(&x4, rp + m * xs + g * 4, 4);
                        __m512i xv = _mm512_set1_epi32(x4);
#pragma clang loop unroll(full)
                        for (int b = 0; b < NB; b++) acc[b][m] = _mm512_dpbusd_epi32(acc[b][m], xv, wv[b]);
                    }
                }
            }
        }
        int nv = cx->ow - ox0 < MB ? cx->ow - ox0 : MB;
#pragma clang loop unroll(full)
        for (int m = 0; m < MB; m++) {
            if (m < nv) {
#pragma clang loop unroll(full)
                for (int b = 0; b < NB; b++) qk512_out16(cx, acc[b][m], y, ox0 + m, (ob0 + b) * 16);
            }
        }
    }
}

/* Stride-1, 3-wide kernels with one block of output channels (NB = 1; NB = 2 measured slower): the broadcast of input
 * pixel i feeds output pixels i, i-1, i-2 through the three kx taps, so MB+2 broadcasts serve
 * 3*MB*NB vpdpbusd (weights of all three taps stay in registers). */
static inline __attribute__((target(QK_T512), always_inline))
void vnni_row_kw3(const qk_conv_ctx *cx, const uint8_t *const *rows, size_t y, int ob0, const int NB, const int MB) {
    const qk_conv_params *p = cx->p;
    const int KH = p->kh, cp = cx->cpad, G = cp / 4;
    const size_t bstride = (size_t)KH * 3 * cp * 16;
    const int8_t *wb = cx->pwk->blk + (size_t)ob0 * bstride;
    for (int ox0 = 0; ox0 < cx->ow; ox0 += MB) {
        __m512i acc[2][24];
#pragma clang loop unroll(full)
        for (int b = 0; b < NB; b++)
#pragma clang loop unroll(full)
            for (int m = 0; m < MB; m++) acc[b][m] = _mm512_setzero_si512();
        for (int ky = 0; ky < KH; ky++) {
            const uint8_t *r = rows[ky] + (size_t)ox0 * cp;
            const int8_t *wp = wb + (size_t)ky * 3 * cp * 16;
            for (int g = 0; g < G; g++) {
                __m512i wv[2][3];
#pragma clang loop unroll(full)
                for (int b = 0; b < NB; b++)
#pragma clang loop unroll(full)
                    for (int kx = 0; kx < 3; kx++)
                        wv[b][kx] = _mm512_load_si512((const void *)(wp + b * bstride + (size_t)kx * cp * 16 + g * 64));
#pragma clang loop unroll(full)
                for (int i = 0; i < MB + 2; i++) {
                    int32_t x4;
                    memcpy(&x4, r + (size_t)i * cp + g * 4, 4);
                    __m512i xv = _mm512_set1_epi32(x4);
#pragma clang loop unroll(full)
                    for (int kx = 0; kx < 3; kx++) {
                        int m = i - kx;
                        if (m >= 0 && m < MB) {
#pragma clang loop unroll(full)
                            for (int b = 0; b < NB; b++) acc[b][m] = _mm512_dpbusd_epi32(acc[b][m], xv, wv[b][kx]);
                        }
                    }
                }
            }
        }
        int nv = cx->ow - ox0 < MB ? cx->ow - ox0 : MB;
#pragma clang loop unroll(full)
        for (int m = 0; m < MB; m++) {
            if (m < nv) {
#pragma clang loop unroll(full)
                for (int b = 0; b < NB; b++) qk512_out16(cx, acc[b][m], y, ox0 + m, (ob0 + b) * 16);
            }
        }
    }
}

__attribute__((target(QK_T512)))
void qk_int8_rows_avx512vnni(const qk_conv_ctx *cx, int y0, int y1) {
    const qk_conv_params *p = cx->p;
    qk_rowcache rc;
    if (qk_rowcache_init(&rc, cx) != QK_OK) return;
    uint8_t *rows[64];
    uint8_t **rowp = p->kh <= 64 ? rows : malloc(sizeof(uint8_t *) * p->kh);
    if (!rowp) { qk_rowcache_free(&rc); *cx->status = QK_ERR_NOMEM; return; }
    const int nblk = cx->pwk->cout_pad / 16;
    for (int y = y0; y < y1; y++) {
        qk_rowcache_get(cx, &rc, y / cx->oh, y % cx->oh, rowp);
        int ob = 0;
        if (cx->kw == 3 && cx->sw == 1 && cx->dil == 1 && nblk == 1) { /* measured: wins at 16 oc, loses at 32 */
            vnni_row_kw3(cx, (const uint8_t *const *)rowp, (size_t)y, 0, 1, 24);
            continue;
        }
        for (; ob + 4 <= nblk; ob += 4) vnni_row(cx, (const uint8_t *const *)rowp, (size_t)y, ob, 4, 6);
        switch (nblk - ob) {
        case 3: vnni_row(cx, (const uint8_t *const *)rowp, (size_t)y, ob, 3, 8); break;
        case 2: vnni_row(cx, (const uint8_t *const *)rowp, (size_t)y, ob, 2, 12); break;
        case 1: vnni_row(cx, (const uint8_t *const *)rowp, (size_t)y, ob, 1, 12); break;
        default: break;
        }
    }
    if (rowp != rows) free(rowp);
    qk_rowcache_free(&rc);
}
