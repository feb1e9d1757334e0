/* Weight packing for the int8 conv tiers (layouts documented in qk_int8_internal.h). */
#include "qk_int8_internal.h"
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

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

/* AVX2: blk16[ob][kh][kw][cp/2][16][2] (int16). */
static void qk_pack_blocked16(const qk_packed_weights *pw, int16_t *blk16) {
    int kh = pw->kh, kw = pw->kw, cin = pw->cin;
    for (int o = 0; o < pw->cout; o++)
        for (int y = 0; y < kh; y++)
            for (int x = 0; x < kw; x++)
                for (int i = 0; i < cin; i++) {
                    size_t dst = ((((size_t)(o / 16) * kh + y) * kw + x) * (pw->cpad / 2) + i / 2) * 32
                               + (size_t)(o % 16) * 2 + (i % 2);
                    blk16[dst] = pw->w[(((size_t)o * kh + y) * kw + x) * cin + i];
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
    pw->w = qk_alloc64(n);
    pw->wsum = qk_alloc64((size_t)pw->cout_pad * sizeof(int32_t));
    if (!pw->w || !pw->wsum) {
        qk_int8_free_packed(pw);
        return NULL;
    }
    memcpy(pw->w, w, n);
    for (int o = 0; o < cout; o++) {
        int32_t s = 0;
        for (size_t j = 0; j < (size_t)kh * kw * cin; j++) s += w[(size_t)o * kh * kw * cin + j];
        pw->wsum[o] = s;
    }
    if (kw > 1 && qk_round_up(kw * cin, 4) * 4 <= kw * pw->cpad * 3 && kw * cin <= 64) {
        /* [o][y][x][i] with x,i adjacent is already [o][y][0][x*cin + i]: same bytes, new shape */
        pw->fold = qk_int8_pack_weights(w, cout, kh, 1, kw * cin);
        if (!pw->fold) { qk_int8_free_packed(pw); return NULL; }
    }
    return pw;
}

/* Layouts are built on first use by a tier (a model run by the AMX tier never holds the VNNI and
 * AVX2 copies: 3-4x the int8 weights). Double-checked under one lock; the pointers are published
 * with release stores, so readers that see a pointer see its contents. */
static pthread_mutex_t g_pack_lock = PTHREAD_MUTEX_INITIALIZER;

static int qk_ensure_blk(qk_packed_weights *pw) {
    if (__atomic_load_n(&pw->blk, __ATOMIC_ACQUIRE)) return QK_OK;
    int st = QK_OK;
    pthread_mutex_lock(&g_pack_lock);
    if (!pw->blk) {
        int8_t *b = qk_alloc64((size_t)pw->cout_pad * pw->kh * pw->kw * pw->cpad);
        if (b) { qk_pack_blocked(pw->w, pw->cout, pw->kh, pw->kw, pw->cin, pw->cpad, b); __atomic_store_n(&pw->blk, b, __ATOMIC_RELEASE); }
        else st = QK_ERR_NOMEM;
    }
    pthread_mutex_unlock(&g_pack_lock);
    return st;
}

static int qk_ensure_layout(qk_packed_weights *pw, int tier) {
    if (!pw) return QK_OK;
    int st = qk_ensure_layout(pw->fold, tier);
    if (st != QK_OK) return st;
    switch (tier) {
    case QK_TIER_AVXVNNI:
    case QK_TIER_AVX512VNNI:
        return qk_ensure_blk(pw);
    case QK_TIER_AMX:
        if (__atomic_load_n(&pw->blk_amx, __ATOMIC_ACQUIRE)) return QK_OK;
        if (pw->cpad_amx == pw->cpad) {
            if ((st = qk_ensure_blk(pw)) != QK_OK) return st;
            pthread_mutex_lock(&g_pack_lock);
            __atomic_store_n(&pw->blk_amx, pw->blk, __ATOMIC_RELEASE);
            pthread_mutex_unlock(&g_pack_lock);
            return QK_OK;
        }
        pthread_mutex_lock(&g_pack_lock);
        if (!pw->blk_amx) {
            int8_t *b = qk_alloc64((size_t)pw->cout_pad * pw->kh * pw->kw * pw->cpad_amx);
            if (b) { qk_pack_blocked(pw->w, pw->cout, pw->kh, pw->kw, pw->cin, pw->cpad_amx, b); __atomic_store_n(&pw->blk_amx, b, __ATOMIC_RELEASE); }
            else st = QK_ERR_NOMEM;
        }
        pthread_mutex_unlock(&g_pack_lock);
        return st;
    case QK_TIER_AVX2:
        if (__atomic_load_n(&pw->blk16, __ATOMIC_ACQUIRE)) return QK_OK;
        pthread_mutex_lock(&g_pack_lock);
        if (!pw->blk16) {
            int16_t *b = qk_alloc64((size_t)pw->cout_pad * pw->kh * pw->kw * pw->cpad * sizeof(int16_t));
            if (b) { qk_pack_blocked16(pw, b); __atomic_store_n(&pw->blk16, b, __ATOMIC_RELEASE); }
            else st = QK_ERR_NOMEM;
        }
        pthread_mutex_unlock(&g_pack_lock);
        return st;
    default:
        return QK_OK; /* the reference reads pw->w */
    }
}

int qk_int8_prepare_layout(const qk_packed_weights *pw, int tier) {
    return qk_ensure_layout((qk_packed_weights *)pw, tier);
}

void qk_int8_free_packed(qk_packed_weights *pw) {
    if (!pw) return;
    qk_int8_free_packed(pw->fold);
    if (pw->blk_amx && pw->blk_amx != pw->blk) free(pw->blk_amx);
    free(pw->blk);
    free(pw->blk16);
    free(pw->w);
    free(pw->wsum);
    free(pw);
}

const int32_t *qk_int8_packed_wsum(const qk_packed_weights *pw) { return pw ? pw->wsum : NULL; }
