/* u8 NHWC element-wise and resampling ops (max-pool, 2x upsample, requantizing copy into a
 * concat slice, quantize/dequantize) and the classifier's argmax. Plain C written so -O3
 * vectorises the channel loops; the tests hold them to naive Swift references. Max-pool,
 * nearest upsample, requantize and argmax split their rows (or pixels) over the int8 thread
 * pool (dynamic schedule, qk_pool_for) when the tensor is large enough to pay for the wake-up;
 * every element is computed the same way whatever the split, so the result does not depend on
 * the thread count. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8.h"
#include "qk_int8_internal.h"
#include "qk_threadpool.h"
#include <string.h>

/* Below this many bytes touched, an op runs on the calling thread alone. */
#define QK_PAR_MIN_BYTES (256 * 1024)

typedef void (*qk_range_body)(const void *ctx, long begin, long end);
typedef struct { qk_range_body body; const void *ctx; } qk_split;

static void qk_split_range(void *c, long a, long b) {
    const qk_split *s = c;
    s->body(s->ctx, a, b);
}

/* body(ctx, 0, n), split into ranges claimed by the pool's threads when `bytes` is large. */
static void qk_par_range(long n, size_t bytes, qk_range_body body, const void *ctx) {
    if (n <= 0) return;
    if (bytes < QK_PAR_MIN_BYTES || n < 2 || qk_pool_threads() <= 1) { body(ctx, 0, n); return; }
    qk_split s = { body, ctx };
    qk_pool_for(n, 0, qk_split_range, &s, qk_pool_threads());
}

typedef struct {
    const uint8_t *in; uint8_t *out;
    size_t rs;                 /* input row stride; images are h rows apart */
    int h, w, c, k, s, pad_top, pad_left, oh, ow;
} qk_maxpool_args;

/* Output rows [r0, r1) of all images, row r = b * oh + oy. */
static void qk_maxpool_rows(const void *ctx, long r0, long r1) {
    const qk_maxpool_args *a = ctx;
    int h = a->h, w = a->w, c = a->c, k = a->k, s = a->s, oh = a->oh, ow = a->ow;
    for (long r = r0; r < r1; r++) {
        int b = (int)(r / oh), oy = (int)(r % oh);
        const uint8_t *in = a->in;
        for (int ox = 0; ox < ow; ox++) {
            uint8_t *o = a->out + (((size_t)b * oh + oy) * ow + ox) * c;
            memset(o, 0, (size_t)c);
            for (int ky = 0; ky < k; ky++) {
                int iy = oy * s - a->pad_top + ky;
                if (iy < 0 || iy >= h) continue;
                for (int kx = 0; kx < k; kx++) {
                    int ix = ox * s - a->pad_left + kx;
                    if (ix < 0 || ix >= w) continue;
                    const uint8_t *x = in + ((size_t)b * h + iy) * a->rs + (size_t)ix * c;
                    for (int i = 0; i < c; i++) o[i] = x[i] > o[i] ? x[i] : o[i];
                }
            }
        }
    }
}

int qk_u8_maxpool2d(const uint8_t *in, int n, int h, int w, int c, int k, int s, int pad, uint8_t *out) {
    if (!in || !out || n <= 0 || h <= 0 || w <= 0 || c <= 0 || k <= 0 || s <= 0 || pad < 0 || pad >= k) return QK_ERR_ARG;
    if (h + 2 * pad < k || w + 2 * pad < k) return QK_ERR_ARG;
    qk_maxpool_args a = { in, out, (size_t)w * c, h, w, c, k, s, pad, pad, (h + 2 * pad - k) / s + 1, (w + 2 * pad - k) / s + 1 };
    qk_par_range((long)n * a.oh, (size_t)n * h * w * c, qk_maxpool_rows, &a);
    return QK_OK;
}

int qk_u8_maxpool2d_window(const uint8_t *in, long in_row_stride, int h, int w, int c, int k, int s,
                           int pad_top, int pad_left, int oh, int ow, uint8_t *out) {
    if (!in || !out || h <= 0 || w <= 0 || c <= 0 || k <= 0 || s <= 0 || oh <= 0 || ow <= 0) return QK_ERR_ARG;
    if (in_row_stride < (long)w * c || pad_top < 0 || pad_left < 0 || pad_top >= k || pad_left >= k) return QK_ERR_ARG;
    /* every output needs at least one tap inside the window */
    if ((long)(oh - 1) * s - pad_top >= h || (long)(ow - 1) * s - pad_left >= w) return QK_ERR_ARG;
    qk_maxpool_args a = { in, out, (size_t)in_row_stride, h, w, c, k, s, pad_top, pad_left, oh, ow };
    qk_par_range(oh, (size_t)oh * s * w * c, qk_maxpool_rows, &a);
    return QK_OK;
}

typedef struct { const uint8_t *in; uint8_t *out; int h, w, c, isx, osx; } qk_up_args;

/* Output rows [r0, r1), row r = b * 2h + y. */
static void qk_upsample_rows(const void *ctx, long r0, long r1) {
    const qk_up_args *a = ctx;
    int h = a->h, w = a->w;
    for (long r = r0; r < r1; r++) {
        int b = (int)(r / (2 * h)), y = (int)(r % (2 * h));
        for (int x = 0; x < 2 * w; x++)
            memcpy(a->out + (((size_t)b * 2 * h + y) * 2 * w + x) * a->osx,
                   a->in + (((size_t)b * h + y / 2) * w + x / 2) * a->isx, (size_t)a->c);
    }
}

int qk_u8_upsample2x_nearest(const uint8_t *in, int n, int h, int w, int c, int isx, uint8_t *out, int osx) {
    if (!in || !out || n <= 0 || h <= 0 || w <= 0 || c <= 0) return QK_ERR_ARG;
    if (isx == 0) isx = c;
    if (osx == 0) osx = c;
    if (isx < c || osx < c) return QK_ERR_ARG;
    qk_up_args a = { in, out, h, w, c, isx, osx };
    qk_par_range((long)n * 2 * h, (size_t)n * 4 * h * w * c, qk_upsample_rows, &a);
    return QK_OK;
}

int qk_u8_upsample2x_bilinear(const uint8_t *in, int n, int h, int w, int c, int isx, uint8_t *out, int osx) {
    if (!in || !out || n <= 0 || h <= 0 || w <= 0 || c <= 0) return QK_ERR_ARG;
    if (isx == 0) isx = c;
    if (osx == 0) osx = c;
    if (isx < c || osx < c) return QK_ERR_ARG;
    for (int b = 0; b < n; b++)
        for (int y = 0; y < 2 * h; y++) {
            int y0 = y / 2, y1 = (y & 1) ? y0 + 1 : y0 - 1; /* weight 3 on y0, 1 on y1 */
            if (y1 < 0) y1 = 0;
            if (y1 >= h) y1 = h - 1;
            const uint8_t *r0 = in + ((size_t)b * h + y0) * w * isx, *r1 = in + ((size_t)b * h + y1) * w * isx;
            for (int x = 0; x < 2 * w; x++) {
                int x0 = x / 2, x1 = (x & 1) ? x0 + 1 : x0 - 1;
                if (x1 < 0) x1 = 0;
                if (x1 >= w) x1 = w - 1;
                const uint8_t *a = r0 + (size_t)x0 * isx, *bb = r0 + (size_t)x1 * isx;
                const uint8_t *cc = r1 + (size_t)x0 * isx, *d = r1 + (size_t)x1 * isx;
                uint8_t *o = out + (((size_t)b * 2 * h + y) * 2 * w + x) * osx;
                for (int i = 0; i < c; i++)
                    o[i] = (uint8_t)((9 * a[i] + 3 * bb[i] + 3 * cc[i] + d[i] + 8) >> 4);
            }
        }
    return QK_OK;
}

typedef struct { const uint8_t *in; uint8_t *out; const uint8_t *lut; int c_in, isx, osx, c_off; } qk_requant_args;

/* Pixels [p0, p1); a NULL lut is a plain copy. */
static void qk_requant_pixels(const void *ctx, long p0, long p1) {
    const qk_requant_args *a = ctx;
    size_t c_in = (size_t)a->c_in;
    if (!a->lut) {
        for (long p = p0; p < p1; p++) memcpy(a->out + (size_t)p * a->osx + a->c_off, a->in + (size_t)p * a->isx, c_in);
        return;
    }
    qk_u8_lut_pixels(a->lut, a->in, (size_t)a->isx, a->out + a->c_off, (size_t)a->osx, c_in, p0, p1);
}

int qk_u8_requantize_into(const uint8_t *in, size_t npix, int c_in, int isx, int in_zp, float mult, int out_zp,
                          uint8_t *out, int osx, int c_off) {
    if (!in || !out || c_in <= 0 || c_off < 0 || in_zp < 0 || in_zp > 255 || out_zp < 0 || out_zp > 255) return QK_ERR_ARG;
    if (isx == 0) isx = c_in;
    if (osx == 0) osx = c_off + c_in;
    if (isx < c_in || osx < c_off + c_in) return QK_ERR_ARG;
    qk_requant_args a = { in, out, NULL, c_in, isx, osx, c_off };
    uint8_t lut[256];
    if (!(mult == 1.0f && in_zp == out_zp)) {
        for (int x = 0; x < 256; x++) {
            float v = (float)(x - in_zp) * mult;
            v = v + (float)out_zp;
            v = v < 0.0f ? 0.0f : v;
            v = v > 255.0f ? 255.0f : v;
            lut[x] = (uint8_t)(int)__builtin_nearbyintf(v);
        }
        a.lut = lut;
    }
    qk_par_range((long)npix, npix * (size_t)c_in, qk_requant_pixels, &a);
    return QK_OK;
}

void qk_u8_dequantize(const uint8_t *in, size_t count, float scale, int zp, float *out) {
    for (size_t i = 0; i < count; i++) out[i] = (float)((int)in[i] - zp) * scale;
}

void qk_f32_quantize_u8(const float *in, size_t count, float inv_scale, int zp, uint8_t *out) {
    for (size_t i = 0; i < count; i++) {
        float v = in[i] * inv_scale;
        v = v + (float)zp;
        if (!(v == v)) v = (float)zp;
        v = v < 0.0f ? 0.0f : v;
        v = v > 255.0f ? 255.0f : v;
        out[i] = (uint8_t)(int)__builtin_nearbyintf(v);
    }
}

void qk_f32_unit_to_u8(const float *in, size_t count, uint8_t *out) {
    for (size_t i = 0; i < count; i++) {
        float v = in[i] * 255.0f;
        v = v < 255.0f ? v : 255.0f; /* NaN -> 255, like Swift's min(255, v) */
        v = v >= 0.0f ? v : 0.0f;
        /* v in [0, 255]: v + 0.5 is exact in double, so truncation rounds half away from zero */
        out[i] = (uint8_t)(int)((double)v + 0.5);
    }
}

typedef struct {
    float *dst; const float *src; const long *dst_off, *dst_step, *src_off, *count; int k;
} qk_add_rows_args;

static void qk_add_rows(const void *ctx, long r0, long r1) {
    const qk_add_rows_args *a = ctx;
    const int k = a->k;
    for (long r = r0; r < r1; r++) {
        float *d = a->dst + a->dst_off[r];
        const float *s = a->src + a->src_off[r];
        const long step = a->dst_step[r], n = a->count[r];
        for (long j = 0; j < n; j++, d += step, s += k)
            for (int c = 0; c < k; c++) d[c] += s[c];
    }
}

void qk_f32_add_strided_rows(float *dst, const float *src, const long *dst_off, const long *dst_step,
                             const long *src_off, const long *count, long rows, int k) {
    if (rows <= 0 || k <= 0) return;
    size_t elems = 0;
    for (long r = 0; r < rows; r++) elems += (size_t)(count[r] > 0 ? count[r] : 0) * (size_t)k;
    qk_add_rows_args a = { dst, src, dst_off, dst_step, src_off, count, k };
    qk_par_range(rows, elems * 2 * sizeof(float), qk_add_rows, &a);
}

typedef struct { const float *logits; uint8_t *out; int classes; } qk_argmax_args;

static void qk_argmax_pixels(const void *ctx, long p0, long p1) {
    const qk_argmax_args *a = ctx;
    int k = a->classes;
    for (long p = p0; p < p1; p++) {
        const float *l = a->logits + (size_t)p * k;
        int best = 0;
        float bv = l[0];
        for (int c = 1; c < k; c++)
            if (l[c] > bv) { bv = l[c]; best = c; }
        a->out[p] = (uint8_t)best;
    }
}

int qk_f32_argmax(const float *logits, size_t pixels, int classes, uint8_t *out) {
    if (!logits || !out || classes <= 0 || classes > 256) return QK_ERR_ARG;
    qk_argmax_args a = { logits, out, classes };
    qk_par_range((long)pixels, pixels * (size_t)classes * sizeof(float), qk_argmax_pixels, &a);
    return QK_OK;
}
