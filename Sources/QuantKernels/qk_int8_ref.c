/* The plain C reference conv (the oracle every tier is tested against): direct loops over the
 * canonical [cout][kh][kw][cin] weights, (x - in_zp) * w accumulated in int32. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8_internal.h"

void qk_int8_rows_ref(const qk_conv_ctx *cx, int y0, int y1) {
    const qk_conv_params *p = cx->p;
    const qk_packed_weights *pw = cx->pw;
    const int dil = cx->dil;
    for (int y = y0; y < y1; y++) {
        int n = y / cx->oh, oy = y % cx->oh;
        for (int ox = 0; ox < cx->ow; ox++) {
            size_t opix = ((size_t)n * cx->oh + oy) * cx->ow + ox;
            for (int c = 0; c < p->cout; c++) {
                int32_t acc = 0;
                for (int ky = 0; ky < p->kh; ky++) {
                    int iy = oy * p->stride_h - p->pad_top + ky * dil;
                    if (iy < 0 || iy >= p->h) continue;
                    for (int kx = 0; kx < p->kw; kx++) {
                        int ix = ox * p->stride_w - p->pad_left + kx * dil;
                        if (ix < 0 || ix >= p->w) continue;
                        const uint8_t *xp = cx->in + ((size_t)n * p->h + iy) * cx->irs + (size_t)ix * cx->isx;
                        const int8_t *wp = pw->w + (((size_t)c * p->kh + ky) * p->kw + kx) * p->cin;
                        for (int i = 0; i < p->cin; i++) acc += ((int32_t)xp[i] - p->in_zp) * wp[i];
                    }
                }
                if (cx->outf) {
                    float v = (float)acc * cx->mult[c];
                    cx->outf[opix * cx->osx + c] = v + cx->fbias[c];
                } else {
                    int32_t b = cx->bias ? cx->bias[c] : 0;
                    int r = cx->res ? cx->res[(size_t)y * cx->rrs + (size_t)ox * cx->rsx + c] : 0;
                    cx->out[opix * cx->osx + c] = qk_requant_u8(acc + b, cx->mult[c], cx->res != NULL, r,
                                                                p->res_zp, p->res_mult, p->out_zp, p->relu);
                }
            }
        }
    }
}
