/* AMX-INT8 tier: direct NHWC conv with tdpbusd. Per output row, a 32-pixel x 32-channel tile of
 * int32 sums lives in four C tiles (0..3) across the whole K loop (kh, kw, 64-byte channel chunks);
 * A tiles (4, 5) are 16 output pixels' input channels read straight from the padded row buffer
 * with a row stride of stride_w*cpad bytes; B tiles (6, 7) are 16 oc x kc ic of the packed
 * weights ([kc/4][16][4], i.e. VNNI layout rows of 64 bytes). The output stage is the AVX-512 one. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8_avx512_common.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define QK_ARCH_GET_XCOMP_PERM 0x1022
#define QK_ARCH_REQ_XCOMP_PERM 0x1023
#define QK_XFEATURE_XTILEDATA 18

static pthread_once_t g_amx_once = PTHREAD_ONCE_INIT;
static int g_amx_ok = 0;

static void qk_amx_request(void) {
    if (syscall(SYS_arch_prctl, QK_ARCH_REQ_XCOMP_PERM, QK_XFEATURE_XTILEDATA) != 0) return;
    unsigned long bits = 0;
    if (syscall(SYS_arch_prctl, QK_ARCH_GET_XCOMP_PERM, &bits) != 0) return;
    g_amx_ok = (bits >> QK_XFEATURE_XTILEDATA) & 1;
}

int qk_amx_enable(void) {
    pthread_once(&g_amx_once, qk_amx_request);
    return g_amx_ok;
}

typedef struct {
    uint8_t palette_id, start_row, reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} qk_tilecfg;

#define QK_TAMX "amx-tile,amx-int8," QK_T512

__attribute__((target(QK_TAMX)))
void qk_int8_rows_amx(const qk_conv_ctx *cx, int y0, int y1) {
    const qk_conv_params *p = cx->p;
    const int KH = p->kh, KW = cx->kw, cp = cx->cpad;
    const int kc = cp < 64 ? cp : 64, nk = cp / kc;
    const size_t xs = (size_t)cx->sw * cp, ds = (size_t)cx->dil * cp;
    const size_t bstride = (size_t)KH * KW * cp * 16;
    const int nblk = cx->pwk->cout_pad / 16;
    qk_rowcache rc;
    if (qk_rowcache_init(&rc, cx) != QK_OK) return;
    uint8_t *rows[64];
    uint8_t **rowp = KH <= 64 ? rows : malloc(sizeof(uint8_t *) * KH);
    if (!rowp) { qk_rowcache_free(&rc); *cx->status = QK_ERR_NOMEM; return; }
    /* int32 sums of one output row x 32 channels: the output stage runs after the whole row so
     * its loads are far from the tile stores */
    const int owp = qk_round_up(cx->ow, 32);
    int32_t *acc = NULL;
    if (posix_memalign((void **)&acc, 64, sizeof(int32_t) * 32 * (size_t)owp) != 0) {
        qk_rowcache_free(&rc);
        if (rowp != rows) free(rowp);
        *cx->status = QK_ERR_NOMEM;
        return;
    }

    qk_tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette_id = 1;
    for (int t = 0; t < 4; t++) { cfg.rows[t] = 16; cfg.colsb[t] = 64; }
    for (int t = 4; t < 6; t++) { cfg.rows[t] = 16; cfg.colsb[t] = (uint16_t)kc; }
    for (int t = 6; t < 8; t++) { cfg.rows[t] = (uint8_t)(kc / 4); cfg.colsb[t] = 64; }
    _tile_loadconfig(&cfg);

    for (int y = y0; y < y1; y++) {
        qk_rowcache_get(cx, &rc, y / cx->oh, y % cx->oh, rowp);
        for (int ob = 0; ob < nblk; ob += 2) {
            const int two_oc = ob + 1 < nblk;
            const int8_t *wb = cx->pwk->blk_amx + (size_t)ob * bstride;
            for (int ox0 = 0; ox0 < cx->ow; ox0 += 32) {
                const int two_px = ox0 + 16 < cx->ow;
                _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
                for (int ky = 0; ky < KH; ky++) {
                    const uint8_t *r = rowp[ky] + (size_t)ox0 * xs;
                    for (int kx = 0; kx < KW; kx++) {
                        const uint8_t *a = r + kx * ds;
                        const int8_t *w = wb + (size_t)(ky * KW + kx) * cp * 16;
                        for (int k = 0; k < nk; k++) {
                            _tile_loadd(4, a + k * kc, (long)xs);
                            _tile_loadd(6, w + (size_t)k * kc * 16, 64);
                            _tile_dpbusd(0, 4, 6);
                            if (two_oc) { _tile_loadd(7, w + bstride + (size_t)k * kc * 16, 64); _tile_dpbusd(1, 4, 7); }
                            if (two_px) {
                                _tile_loadd(5, a + 16 * xs + k * kc, (long)xs);
                                _tile_dpbusd(2, 5, 6);
                                if (two_oc) _tile_dpbusd(3, 5, 7);
                            }
                        }
                    }
                }
                int32_t *t = acc + (size_t)ox0 * 32;
                _tile_stored(0, t, 128);
                _tile_stored(1, t + 16, 128);
                _tile_stored(2, t + 16 * 32, 128);
                _tile_stored(3, t + 16 * 32 + 16, 128);
            }
            qk512_out_block(cx, acc, 32, cx->ow, (size_t)y, 0, ob * 16);
            if (two_oc) qk512_out_block(cx, acc + 16, 32, cx->ow, (size_t)y, 0, (ob + 1) * 16);
        }
    }
    _tile_release();
    free(acc);
    if (rowp != rows) free(rowp);
    qk_rowcache_free(&rc);
}
