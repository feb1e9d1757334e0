/* int8 conv entry points: argument checks, tier selection (CPU features, QK_INT8_TIER,
 * qk_int8_force_tier), the per-call context, padded row buffers, and the split over threads. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8_internal.h"
#include "qk_blas.h"
#include "qk_cpu.h"
#include "qk_threadpool.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const k_tier_names[QK_TIER_COUNT] = {"ref", "avx2", "avxvnni", "avx512vnni", "amx"};

const char *qk_int8_tier_name(int tier) {
    if (tier == QK_TIER_AUTO) return "auto";
    if (tier < 0 || tier >= QK_TIER_COUNT) return "?";
    return k_tier_names[tier];
}

int qk_int8_tier_supported(int tier) {
    unsigned f = qk_cpu_features();
    const unsigned avx512 = QK_CPU_AVX512F | QK_CPU_AVX512BW | QK_CPU_AVX512VL | QK_CPU_AVX512DQ;
    switch (tier) {
    case QK_TIER_REF: return 1;
    case QK_TIER_AVX2: return (f & QK_CPU_AVX2) != 0;
    case QK_TIER_AVXVNNI: return (f & QK_CPU_AVX2) && (f & QK_CPU_AVXVNNI);
    case QK_TIER_AVX512VNNI: return (f & avx512) == avx512 && (f & QK_CPU_AVX512VNNI);
    case QK_TIER_AMX:
        return (f & avx512) == avx512 && (f & QK_CPU_AMXINT8) && (f & QK_CPU_AMXTILE) && qk_amx_enable();
    default: return 0;
    }
}

static int best_tier(void) {
    for (int t = QK_TIER_COUNT - 1; t > 0; t--)
        if (qk_int8_tier_supported(t)) return t;
    return QK_TIER_REF;
}

static int g_tier = -2; /* -2: not initialised yet */
static char g_env_problem[160];
static volatile int g_env_problem_set = 0;

const char *qk_int8_tier_env_problem(void) {
    (void)qk_int8_active_tier();
    return g_env_problem_set ? g_env_problem : NULL;
}

int qk_int8_active_tier(void) {
    int t = __atomic_load_n(&g_tier, __ATOMIC_ACQUIRE);
    if (t != -2) return t;
    t = best_tier();
    const char *env = getenv("QK_INT8_TIER");
    if (env && *env) {
        int found = -1;
        for (int i = 0; i < QK_TIER_COUNT; i++)
            if (strcmp(env, k_tier_names[i]) == 0) found = i;
        if (found < 0) {
            snprintf(g_env_problem, sizeof g_env_problem,
                     "QK_INT8_TIER=%.40s is not one of ref, avx2, avxvnni, avx512vnni, amx; using %s", env, k_tier_names[t]);
            g_env_problem_set = 1;
        } else if (!qk_int8_tier_supported(found)) {
            snprintf(g_env_problem, sizeof g_env_problem,
                     "QK_INT8_TIER=%s: this CPU/OS lacks that tier; using %s", env, k_tier_names[t]);
            g_env_problem_set = 1;
        } else {
            t = found;
        }
    }
    int expected = -2;
    __atomic_compare_exchange_n(&g_tier, &expected, t, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
    return __atomic_load_n(&g_tier, __ATOMIC_ACQUIRE);
}

int qk_int8_force_tier(int tier) {
    if (tier == QK_TIER_AUTO) {
        __atomic_store_n(&g_tier, best_tier(), __ATOMIC_RELEASE);
        return QK_OK;
    }
    if (tier < 0 || tier >= QK_TIER_COUNT) return QK_ERR_ARG;
    if (!qk_int8_tier_supported(tier)) return QK_ERR_UNSUPPORTED;
    __atomic_store_n(&g_tier, tier, __ATOMIC_RELEASE);
    return QK_OK;
}

static int g_threads = 1;

void qk_set_num_threads(int n) {
    if (n < 1) n = 1;
    if (n > 64) n = 64;
    g_threads = n;
    qk_pool_set_threads(n);
    qk_blas_set_threads(n);
}

int qk_get_num_threads(void) { return g_threads; }

int qk_conv_out_h(const qk_conv_params *p) {
    int d = p->dilation > 0 ? p->dilation : 1;
    if (p->stride_h <= 0 || p->kh <= 0) return 0;
    int span = p->h + p->pad_top + p->pad_bottom - d * (p->kh - 1) - 1;
    return span < 0 ? 0 : span / p->stride_h + 1;
}

int qk_conv_out_w(const qk_conv_params *p) {
    int d = p->dilation > 0 ? p->dilation : 1;
    if (p->stride_w <= 0 || p->kw <= 0) return 0;
    int span = p->w + p->pad_left + p->pad_right - d * (p->kw - 1) - 1;
    return span < 0 ? 0 : span / p->stride_w + 1;
}

/* Writes input row iy of image n, padded, into r (layout: see qk_rowcache in the internal header). */
static void qk_fill_row(const qk_conv_ctx *cx, uint8_t *scratch, int n, int iy, uint8_t *r) {
    const qk_conv_params *p = cx->p;
    const int cp = cx->cpad, cin = p->cin;
    const uint8_t zp = (uint8_t)p->in_zp;
    if (iy < 0 || iy >= p->h) { memset(r, zp, (size_t)cx->rowlen * cp); return; }
    const uint8_t *src = cx->in + ((size_t)n * p->h + iy) * cx->irs;
    if (cx->fold) {
        /* plain padded row of cin-channel pixels, then one contiguous copy per output column
         * (dilation 1) or a gather per tap */
        int plen = cx->ow * p->stride_w + (p->kw - 1) * cx->dil + 1;
        memset(scratch, zp, (size_t)plen * cin + 64);
        int x1 = p->pad_left + p->w < plen ? p->pad_left + p->w : plen;
        if (cx->isx == cin) {
            if (x1 > p->pad_left) memcpy(scratch + (size_t)p->pad_left * cin, src, (size_t)(x1 - p->pad_left) * cin);
        } else {
            for (int x = p->pad_left; x < x1; x++)
                for (int c = 0; c < cin; c++) scratch[(size_t)x * cin + c] = src[(size_t)(x - p->pad_left) * cx->isx + c];
        }
        const size_t step = (size_t)p->stride_w * cin;
        if (cx->dil == 1 && cp == 8) {
            for (int ox = 0; ox < cx->ow; ox++) memcpy(r + (size_t)ox * 8, scratch + ox * step, 8);
        } else if (cx->dil == 1) {
            for (int ox = 0; ox < cx->ow; ox++) memcpy(r + (size_t)ox * cp, scratch + ox * step, (size_t)cp);
        } else {
            for (int ox = 0; ox < cx->ow; ox++)
                for (int kx = 0; kx < p->kw; kx++)
                    memcpy(r + (size_t)ox * cp + kx * cin, scratch + ox * step + (size_t)kx * cx->dil * cin, (size_t)cin);
        }
        memset(r + (size_t)cx->ow * cp, zp, (size_t)(cx->rowlen - cx->ow) * cp);
        return;
    }
    int x0 = p->pad_left < cx->rowlen ? p->pad_left : cx->rowlen; /* first in-image column */
    int x1 = p->pad_left + p->w < cx->rowlen ? p->pad_left + p->w : cx->rowlen;
    if (x0 > 0) memset(r, zp, (size_t)x0 * cp);
    if (x1 < cx->rowlen) memset(r + (size_t)x1 * cp, zp, (size_t)(cx->rowlen - x1) * cp);
    if (cp == cin && cx->isx == cin) {
        if (x1 > x0) memcpy(r + (size_t)x0 * cp, src, (size_t)(x1 - x0) * cp);
    } else {
        /* channels cin..cp-1 keep whatever they hold (set at init): their weights are zero */
        if (cin < 16) {
            for (int x = x0; x < x1; x++)
                for (int c = 0; c < cin; c++) r[(size_t)x * cp + c] = src[(size_t)(x - p->pad_left) * cx->isx + c];
        } else {
            for (int x = x0; x < x1; x++)
                memcpy(r + (size_t)x * cp, src + (size_t)(x - p->pad_left) * cx->isx, (size_t)cin);
        }
    }
}

int qk_rowcache_init(qk_rowcache *rc, const qk_conv_ctx *cx) {
    const qk_conv_params *p = cx->p;
    memset(rc, 0, sizeof *rc);
    rc->nslots = (p->kh - 1) * cx->dil + 1;
    rc->rowbytes = (size_t)qk_round_up(cx->rowlen * cx->cpad + 64, 64);
    size_t scratch = (size_t)(cx->ow * p->stride_w + (p->kw - 1) * cx->dil + 2) * p->cin + 128;
    rc->key = malloc(sizeof(long) * rc->nslots);
    if (!rc->key || posix_memalign((void **)&rc->buf, 64, rc->rowbytes * rc->nslots) != 0 ||
        (cx->fold && !(rc->scratch = malloc(scratch)))) {
        qk_rowcache_free(rc);
        if (cx->status) __atomic_store_n(cx->status, QK_ERR_NOMEM, __ATOMIC_RELAXED);
        return QK_ERR_NOMEM;
    }
    for (int i = 0; i < rc->nslots; i++) rc->key[i] = -1;
    memset(rc->buf, p->in_zp, rc->rowbytes * rc->nslots);
    return QK_OK;
}

void qk_rowcache_free(qk_rowcache *rc) {
    free(rc->buf); free(rc->scratch); free(rc->key);
    rc->buf = NULL; rc->scratch = NULL; rc->key = NULL;
}

void qk_rowcache_get(const qk_conv_ctx *cx, qk_rowcache *rc, int n, int oy, uint8_t **rows) {
    const qk_conv_params *p = cx->p;
    for (int ky = 0; ky < p->kh; ky++) {
        int iy = oy * p->stride_h - p->pad_top + ky * cx->dil;
        int inside = iy >= 0 && iy < p->h;
        /* every out-of-image row is all zp: one shared key (-2) */
        long key = inside ? (long)n * (p->h + 1) + iy : -2;
        int slot = (int)(((iy % rc->nslots) + rc->nslots) % rc->nslots);
        uint8_t *r = rc->buf + rc->rowbytes * slot;
        if (rc->key[slot] != key) {
            qk_fill_row(cx, rc->scratch, n, iy, r);
            rc->key[slot] = key;
        }
        rows[ky] = r;
    }
}

typedef struct {
    qk_conv_ctx cx;
    qk_int8_rows_fn fn;
} qk_job;

/* Output rows [y0, y1) of all images (row r = image * oh + oy). */
static void qk_job_rows(void *ctx, long y0, long y1) {
    qk_job *j = ctx;
    j->fn(&j->cx, (int)y0, (int)y1);
}

static int qk_check(const qk_conv_params *p, const qk_packed_weights *pw, const void *in, const void *out) {
    if (!p || !pw || !in || !out) return QK_ERR_ARG;
    if (p->n <= 0 || p->h <= 0 || p->w <= 0 || p->cin <= 0 || p->cout <= 0) return QK_ERR_ARG;
    if (p->cin != pw->cin || p->cout != pw->cout || p->kh != pw->kh || p->kw != pw->kw) return QK_ERR_ARG;
    if (p->stride_h <= 0 || p->stride_w <= 0 || p->dilation < 0) return QK_ERR_ARG;
    if (p->pad_top < 0 || p->pad_left < 0 || p->pad_bottom < 0 || p->pad_right < 0) return QK_ERR_ARG;
    if (p->in_pixel_stride != 0 && p->in_pixel_stride < p->cin) return QK_ERR_ARG;
    if (p->out_pixel_stride != 0 && p->out_pixel_stride < p->cout) return QK_ERR_ARG;
    if (p->res_pixel_stride != 0 && p->res_pixel_stride < p->cout) return QK_ERR_ARG;
    if (p->in_row_stride != 0 &&
        p->in_row_stride < (long)p->w * (p->in_pixel_stride ? p->in_pixel_stride : p->cin)) return QK_ERR_ARG;
    if (p->res_row_stride != 0 &&
        p->res_row_stride < (long)qk_conv_out_w(p) * (p->res_pixel_stride ? p->res_pixel_stride : p->cout)) return QK_ERR_ARG;
    if (p->in_zp < 0 || p->in_zp > 255 || p->out_zp < 0 || p->out_zp > 255) return QK_ERR_ARG;
    if (p->res_zp < 0 || p->res_zp > 255) return QK_ERR_ARG;
    if (qk_conv_out_h(p) <= 0 || qk_conv_out_w(p) <= 0) return QK_ERR_ARG;
    return QK_OK;
}

static qk_int8_rows_fn qk_tier_fn(int tier) {
    switch (tier) {
    case QK_TIER_AMX: return qk_int8_rows_amx;
    case QK_TIER_AVX512VNNI: return qk_int8_rows_avx512vnni;
    case QK_TIER_AVXVNNI: return qk_int8_rows_avxvnni;
    case QK_TIER_AVX2: return qk_int8_rows_avx2;
    default: return qk_int8_rows_ref;
    }
}

static int qk_conv_any(int tier, const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                       const int32_t *bias, const float *mult, const uint8_t *res, uint8_t *out,
                       const float *fbias, float *outf) {
    int st = qk_check(p, pw, in, out ? (const void *)out : (const void *)outf);
    if (st != QK_OK) return st;
    if (!mult) return QK_ERR_ARG;
    if ((st = qk_int8_prepare_layout(pw, tier)) != QK_OK) return st;
    qk_job job;
    memset(&job, 0, sizeof job);
    qk_conv_ctx *cx = &job.cx;
    cx->p = p; cx->pw = pw; cx->in = in; cx->bias = bias; cx->res = res; cx->out = out; cx->outf = outf;
    cx->oh = qk_conv_out_h(p);
    cx->ow = qk_conv_out_w(p);
    cx->dil = p->dilation > 0 ? p->dilation : 1;
    cx->isx = p->in_pixel_stride ? p->in_pixel_stride : p->cin;
    cx->osx = p->out_pixel_stride ? p->out_pixel_stride : p->cout;
    cx->rsx = p->res_pixel_stride ? p->res_pixel_stride : p->cout;
    cx->irs = p->in_row_stride ? (size_t)p->in_row_stride : (size_t)p->w * cx->isx;
    cx->rrs = p->res_row_stride ? (size_t)p->res_row_stride : (size_t)cx->ow * cx->rsx;
    /* register tiles of up to 32 pixels may run past ow: rows cover every tile's reads */
    int owp = qk_round_up(cx->ow, 32) + 32;
    if (tier != QK_TIER_REF && pw->fold) {
        cx->pwk = pw->fold; cx->kw = 1; cx->sw = 1; cx->fold = 1;
        cx->rowlen = owp + 2;
    } else {
        cx->pwk = pw; cx->kw = p->kw; cx->sw = p->stride_w; cx->fold = 0;
        cx->rowlen = (owp - 1) * p->stride_w + (p->kw - 1) * cx->dil + 2;
    }
    cx->cpad = tier == QK_TIER_AMX ? cx->pwk->cpad_amx : cx->pwk->cpad;
    int cp = pw->cout_pad;
    int32_t *beff = malloc(sizeof(int32_t) * cp);
    float *m = malloc(sizeof(float) * cp);
    float *fb = malloc(sizeof(float) * cp);
    if (!beff || !m || !fb) { free(beff); free(m); free(fb); return QK_ERR_NOMEM; }
    for (int c = 0; c < cp; c++) {
        int real = c < p->cout;
        int32_t b = (real && bias && !outf) ? bias[c] : 0;
        beff[c] = real ? b - p->in_zp * pw->wsum[c] : 0;
        m[c] = real ? mult[c] : 0.0f;
        fb[c] = (real && fbias) ? fbias[c] : 0.0f;
    }
    cx->beff = beff; cx->mult = m; cx->fbias = fb;
    int status = QK_OK;
    cx->status = &status;
    job.fn = qk_tier_fn(tier);
    qk_pool_for((long)p->n * cx->oh, 0, qk_job_rows, &job, g_threads);
    free(beff); free(m); free(fb);
    return status;
}

int qk_int8_conv2d(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                   const int32_t *bias, const float *out_mult, const uint8_t *residual, uint8_t *out) {
    return qk_conv_any(qk_int8_active_tier(), p, pw, in, bias, out_mult, residual, out, NULL, NULL);
}

int qk_int8_conv2d_f32out(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                          const float *out_scale, const float *out_bias, float *out) {
    return qk_conv_any(qk_int8_active_tier(), p, pw, in, NULL, out_scale, NULL, NULL, out_bias, out);
}

int qk_int8_conv2d_ref(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                       const int32_t *bias, const float *out_mult, const uint8_t *residual, uint8_t *out) {
    return qk_conv_any(QK_TIER_REF, p, pw, in, bias, out_mult, residual, out, NULL, NULL);
}

int qk_int8_conv2d_f32out_ref(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                              const float *out_scale, const float *out_bias, float *out) {
    return qk_conv_any(QK_TIER_REF, p, pw, in, NULL, out_scale, NULL, NULL, out_bias, out);
}

int qk_int8_conv2d_tier(int tier, const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                        const int32_t *bias, const float *out_mult, const uint8_t *residual, uint8_t *out) {
    if (tier < 0 || tier >= QK_TIER_COUNT) return QK_ERR_ARG;
    if (!qk_int8_tier_supported(tier)) return QK_ERR_UNSUPPORTED;
    return qk_conv_any(tier, p, pw, in, bias, out_mult, residual, out, NULL, NULL);
}

int qk_int8_conv2d_f32out_tier(int tier, const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                               const float *out_scale, const float *out_bias, float *out) {
    if (tier < 0 || tier >= QK_TIER_COUNT) return QK_ERR_ARG;
    if (!qk_int8_tier_supported(tier)) return QK_ERR_UNSUPPORTED;
    return qk_conv_any(tier, p, pw, in, NULL, out_scale, NULL, NULL, out_bias, out);
}
