/* AVX2 tier (no VNNI). vpmaddubsw would saturate its 16-bit pair sums (255*127*2 > 32767), so
 * this tier widens instead: the padded input rows are zero-extended to u16 and the weights are
 * packed as s16 pairs ([cpad/2][16 oc][2 ic]); vpmaddwd then forms exact 32-bit pair sums
 * (|x*w| <= 255*128, two of them fit easily). Register tile: 5 pixels x 16 channels. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8_avx2_common.h"

#define MB 5

__attribute__((target("avx2")))
static void widen_row(const uint8_t *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(src + i))));
    for (; i < n; i++) dst[i] = src[i];
}

__attribute__((target("avx2")))
void qk_int8_rows_avx2(const qk_conv_ctx *cx, int y0, int y1) {
    const qk_conv_params *p = cx->p;
    const int KH = p->kh, KW = cx->kw, cp = cx->cpad, G2 = cp / 2;
    const size_t xs = (size_t)cx->sw * cp, ds = (size_t)cx->dil * cp;
    const size_t bstride = (size_t)KH * KW * cp * 16;  /* in int16 elements */
    const int nblk = cx->pwk->cout_pad / 16;
    const size_t rowelems = (size_t)cx->rowlen * cp;
    uint8_t *rows[64];
    uint16_t *rows16[64];
    if (KH > 64) { qk_int8_rows_ref(cx, y0, y1); return; }  /* kernels that tall: reference */
    qk_rowcache rc;
    if (qk_rowcache_init(&rc, cx) != QK_OK) return;
    uint16_t *buf16 = NULL;
    if (posix_memalign((void **)&buf16, 64, (rowelems + 64) * 2 * KH) != 0) { qk_rowcache_free(&rc); *cx->status = QK_ERR_NOMEM; return; }
    for (int k = 0; k < KH; k++) rows16[k] = buf16 + (rowelems + 64) * k;
    for (int y = y0; y < y1; y++) {
        qk_rowcache_get(cx, &rc, y / cx->oh, y % cx->oh, rows);
        for (int k = 0; k < KH; k++) widen_row(rows[k], rows16[k], rowelems);
        for (int ob = 0; ob < nblk; ob++) {
            const int16_t *wb = cx->pwk->blk16 + (size_t)ob * bstride;
            for (int ox0 = 0; ox0 < cx->ow; ox0 += MB) {
                __m256i a0[MB], a1[MB];
                #pragma clang loop unroll(full)
                for (int m = 0; m < MB; m++) { a0[m] = _mm256_setzero_si256(); a1[m] = _mm256_setzero_si256(); }
                for (int ky = 0; ky < KH; ky++) {
                    const uint16_t *r = rows16[ky] + (size_t)ox0 * xs;
                    for (int kx = 0; kx < KW; kx++) {
                        const uint16_t *rp = r + kx * ds;
                        const int16_t *wp = wb + (size_t)(ky * KW + kx) * cp * 16;
                        for (int g = 0; g < G2; g++) {
                            __m256i w0 = _mm256_load_si256((const __m256i *)(wp + g * 32));
                            __m256i w1 = _mm256_load_si256((const __m256i *)(wp + g * 32 + 16));
                            #pragma clang loop unroll(full)
                            for (int m = 0; m < MB; m++) {
                                int32_t x2;
                                memcpy(&x2, rp + m * xs + g * 2, 4);
                                __m256i xv = _mm256_set1_epi32(x2);
                                a0[m] = _mm256_add_epi32(a0[m], _mm256_madd_epi16(xv, w0));
                                a1[m] = _mm256_add_epi32(a1[m], _mm256_madd_epi16(xv, w1));
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
    free(buf16);
}
