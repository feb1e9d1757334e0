/* AVX-VNNI tier (256-bit vpdpbusd, VEX encoded): the AVX-512 VNNI scheme on ymm registers.
 * Register tile: 6 output pixels x 16 output channels (two 8-channel halves) = 12 accumulators. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8_avx2_common.h"

#define QK_TVNNI "avx2,avxvnni"
#define MB 6

__attribute__((target(QK_TVNNI)))
void qk_int8_rows_avxvnni(const qk_conv_ctx *cx, int y0, int y1) {
    const qk_conv_params *p = cx->p;
    const int KH = p->kh, KW = cx->kw, cp = cx->cpad, G = cp / 4;
    const size_t xs = (size_t)cx->sw * cp, ds = (size_t)cx->dil * cp;
    const size_t bstride = (size_t)KH * KW * cp * 16;
    const int nblk = cx->pwk->cout_pad / 16;
    uint8_t *rows[64];
    uint8_t **rowp = KH <= 64 ? rows : malloc(sizeof(uint8_t *) * KH);
    if (!rowp) { *cx->status = QK_ERR_NOMEM; return; }
    qk_rowcache rc;
    if (qk_rowcache_init(&rc, cx) != QK_OK) { if (rowp != rows) free(rowp); return; }
    for (int y = y0; y < y1; y++) {
        qk_rowcache_get(cx, &rc, y / cx->oh, y % cx->oh, rowp);
        for (int ob = 0; ob < nblk; ob++) {
            const int8_t *wb = cx->pwk->blk + (size_t)ob * bstride;
            for (int ox0 = 0; ox0 < cx->ow; ox0 += MB) {
                __m256i a0[MB], a1[MB];
                #pragma clang loop unroll(full)
                for (int m = 0; m < MB; m++) { a0[m] = _mm256_setzero_si256(); a1[m] = _mm256_setzero_si256(); }
                for (int ky = 0; ky < KH; ky++) {
                    const uint8_t *r = rowp[ky] + (size_t)ox0 * xs;
                    for (int kx = 0; kx < KW; kx++) {
                        const uint8_t *rp = r + kx * ds;
                        const int8_t *wp = wb + (size_t)(ky * KW + kx) * cp * 16;
                        for (int g = 0; g < G; g++) {
                            __m256i w0 = _mm256_load_si256((const __m256i *)(wp + g * 64));
                            __m256i w1 = _mm256_load_si256((const __m256i *)(wp + g * 64 + 32));
                            #pragma clang loop unroll(full)
                            for (int m = 0; m < MB; m++) {
                                int32_t x4;
                                memcpy(&x4, rp + m * xs + g * 4, 4);
                                __m256i xv = _mm256_set1_epi32(x4);
                                a0[m] = _mm256_dpbusd_avx_epi32(a0[m], xv, w0);
                                a1[m] = _mm256_dpbusd_avx_epi32(a1[m], xv, w1);
                            }
                        }
                    }
                }
                int nv = cx->ow - ox0 < MB ? cx->ow - ox0 : MB;
                #pragma clang loop unroll(full)
                for (int m = 0; m < MB; m++)
                    if (m < nv) {
                        qk256_out8(cx, a0[m], (size_t)y, ox0 + m, ob * 16);
                        qk256_out8(cx, a1[m], (size_t)y, ox0 + m, ob * 16 + 8);
                    }
            }
        }
    }
    qk_rowcache_free(&rc);
    if (rowp != rows) free(rowp);
}
