/* Weight packing for the int8 conv tiers (layouts documented in qk_int8_internal.h). */
#include "qk_int8_internal.h"
#include <stdlib.h>
#include <string.h>

static void *qk_alloc64(size_t bytes) {
    void *p = NULL;
    if (bytes == 0) bytes = 64;
    if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64) != 0) return NULL;
    memset(p, 0, (bytes + 63) / 64 * 64);
    return p;
}

/* blk[ob][kh][kw][cp/4][16][4] from w[cout][kh][kw][cin]. */
static void qk_pack_blocked(const int8_t *w, int cout, int kh, int kw, int cin, int cp, int8_t *blk) {
    for (int o = 0; o < cout; o++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < cin; i++) {
                    size_t dst = ((((size_t)(o / 16) * kh + y) * kw + x) * (cp / 4) + i / 4) * 64
                               + (size_t)(o % 16) * 4 + (i % 4);
                    blk[dst] = w[(((size_t)o * kh + y) * kw + x) * cin + i];
                }
}

qk_packed_weights *qk_int8_pack_weights(const int8_t *w, int cout, int kh, int kw, int cin) {
    if (!w || cout <= 0 || kh <= 0 || kw <= 0 || cin <= 0) return NULL;
    if ((long long)cout * kh * kw * cin > (1LL << 30)) return NULL;
    qk_packed_weights *pw = calloc(1, sizeof *pw);
    if (!pw) return NULL;
    pw->cout = cout; pw->kh = kh; pw->kw = kw; pw->cin = cin;
    pw->cout_pad = qk_round_up(cout, 16);
    pw->cpad = qk_round_up(cin, 4);
    pw->cpad_amx = pw->cpad <= 64 ? pw->cpad : qk_round_up(cin, 64);
    size_t n = (size_t)cout * kh * kw * cin;
    size_t nb = (size_t)pw->cout_pad * kh * kw * pw->cpad;
    size_t nba = (size_t)pw->cout_pad * kh * kw * pw->cpad_amx;
    pw->w = qk_alloc64(n);
    pw->blk = qk_alloc64(nb);
    pw->blk_amx = pw->cpad_amx == pw->cpad ? pw->blk : qk_alloc64(nba);
    pw->blk16 = qk_alloc64(nb * 2);
    pw->wsum = qk_alloc64((size_t)pw->cout_pad * sizeof(int32_t));
    if (!pw->w || !pw->blk || !pw->blk_amx || !pw->blk16 || !pw->wsum) {
        qk_int8_free_packed(pw);
        return NULL;
    }
    memcpy(pw->w, w, n);
    if (kw > 1 && qk_round_up(kw * cin, 4) * 4 <= kw * pw->cpad * 3 && kw * cin <= 64) {
        int8_t *wf = malloc(n);
        if (!wf) { qk_int8_free_packed(pw); return NULL; }
        for (int o = 0; o < cout; o++)
            for (int y = 0; y < kh; y++)
                for (int x = 0; x < kw; x++)
                    for (int i = 0; i < cin; i++)
                        wf[(((size_t)o * kh + y) * kw + x) * cin + i] = w[(((size_t)o * kh + y) * kw + x) * cin + i];
        /* [o][y][x][i] with x,i adjacent is already [o][y][0][x*cin + i]: same bytes, new shape */
        pw->fold = qk_int8_pack_weights(wf, cout, kh, 1, kw * cin);
        free(wf);
        if (!pw->fold) { qk_int8_free_packed(pw); return NULL; }
    }
    qk_pack_blocked(w, cout, kh, kw, cin, pw->cpad, pw->blk);
    if (pw->blk_amx != pw->blk) qk_pack_blocked(w, cout, kh, kw, cin, pw->cpad_amx, pw->blk_amx);
    /* AVX2: blk16[ob][kh][kw][cp/2][16][2] */
    for (int o = 0; o < cout; o++) {
        int32_t s = 0;
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < cin; i++) {
                    int8_t v = w[(((size_t)o * kh + y) * kw + x) * cin + i];
                    s += v;
                    size_t dst = ((((size_t)(o / 16) * kh + y) * kw + x) * (pw->cpad / 2) + i / 2) * 32
                               + (size_t)(o % 16) * 2 + (i % 2);
                    pw->blk16[dst] = v;
                }
        pw->wsum[o] = s;
    }
    return pw;
}

void qk_int8_free_packed(qk_packed_weights *pw) {
    if (!pw) return;
    qk_int8_free_packed(pw->fold);
    if (pw->blk_amx != pw->blk) free(pw->blk_amx);
    free(pw->blk);
    free(pw->blk16);
    free(pw->w);
    free(pw->wsum);
    free(pw);
}

const int32_t *qk_int8_packed_wsum(const qk_packed_weights *pw) { return pw ? pw->wsum : NULL; }
