/* fp32 elementwise, pooling, resampling, channel concat/scale, softmax and fully-connected kernels. */
#include "qk_f32.h"
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

typedef struct { const float *a, *b; float *y; } ew_ctx;
#define EW_CHUNK 4096
static void relu_fwd_job(void *v, int b, int e, int t) {
    ew_ctx *c = (ew_ctx *)v; (void)t;
    size_t i0 = (size_t)b * EW_CHUNK, i1 = (size_t)e * EW_CHUNK;
    for (size_t i = i0; i < i1; i++) c->y[i] = c->a[i] > 0.f ? c->a[i] : 0.f;
}
static void relu_bwd_job(void *v, int b, int e, int t) {
    ew_ctx *c = (ew_ctx *)v; (void)t;
    size_t i0 = (size_t)b * EW_CHUNK, i1 = (size_t)e * EW_CHUNK;
    for (size_t i = i0; i < i1; i++) c->y[i] += c->a[i] > 0.f ? c->b[i] : 0.f;
}
void qk_f32_relu_forward(const float *x, float *y, size_t count) {
    ew_ctx c = { x, NULL, y };
    size_t blocks = count / EW_CHUNK;
    qk_parallel_for((int)blocks, 16, relu_fwd_job, &c);
    for (size_t i = blocks * EW_CHUNK; i < count; i++) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
void qk_f32_relu_backward(const float *y, const float *dy, float *dx, size_t count) {
    ew_ctx c = { y, dy, dx };
    size_t blocks = count / EW_CHUNK;
    qk_parallel_for((int)blocks, 16, relu_bwd_job, &c);
    for (size_t i = blocks * EW_CHUNK; i < count; i++) dx[i] += y[i] > 0.f ? dy[i] : 0.f;
}
void qk_f32_add(const float *a, const float *b, float *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = a[i] + b[i];
}
void qk_f32_accumulate(float *y, const float *a, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] += a[i];
}
void qk_f32_scale(const float *a, float s, float *y, size_t count) {
    for (size_t i = 0; i < count; i++) y[i] = a[i] * s;
}

/* Reference twin: scans the 3x3 window in row-major order, first maximum wins. */
void qk_f32_maxpool3s2_forward_ref(const float *x, int nc, int h, int w, int ho, int wo, float *y, int32_t *argmax) {
    for (int p = 0; p < nc; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * ho * wo;
        int32_t *ap = argmax + (size_t)p * ho * wo;
        for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++) {
                float best = -FLT_MAX; int bi = -1;
                for (int ki = 0; ki < 3; ki++) {
                    int ih = oh * 2 - 1 + ki;
                    if (ih < 0 || ih >= h) continue;
                    for (int kj = 0; kj < 3; kj++) {
                        int iw = ow * 2 - 1 + kj;
                        if (iw < 0 || iw >= w) continue;
                        float v = xp[ih * w + iw];
                        if (bi < 0 || v > best) { best = v; bi = ih * w + iw; }
                    }
                }
                yp[oh * wo + ow] = best;
                ap[oh * wo + ow] = bi;
            }
    }
}

/* Fast path: interior windows without bounds checks; borders through the generic scan. */
void qk_f32_maxpool3s2_forward(const float *x, int nc, int h, int w, int ho, int wo, float *y, int32_t *argmax) {
    for (int p = 0; p < nc; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * ho * wo;
        int32_t *ap = argmax + (size_t)p * ho * wo;
        for (int oh = 0; oh < ho; oh++) {
            int row_inside = oh >= 1 && 2 * oh + 1 < h;
            for (int ow = 0; ow < wo; ow++) {
                if (row_inside && ow >= 1 && 2 * ow + 1 < w) {
                    int base = (2 * oh - 1) * w + 2 * ow - 1;
                    float best = xp[base]; int bi = base;
                    for (int ki = 0; ki < 3; ki++) {
                        const int r = base + ki * w;
                        for (int kj = 0; kj < 3; kj++) {
                            float v = xp[r + kj];
                            if (v > best) { best = v; bi = r + kj; }
                        }
                    }
                    yp[oh * wo + ow] = best; ap[oh * wo + ow] = bi;
                    continue;
                }
                float best = -FLT_MAX; int bi = -1;
                for (int ki = 0; ki < 3; ki++) {
                    int ih = oh * 2 - 1 + ki;
                    if (ih < 0 || ih >= h) continue;
                    for (int kj = 0; kj < 3; kj++) {
                        int iw = ow * 2 - 1 + kj;
                        if (iw < 0 || iw >= w) continue;
                        float v = xp[ih * w + iw];
                        if (bi < 0 || v > best) { best = v; bi = ih * w + iw; }
                    }
                }
                yp[oh * wo + ow] = best; ap[oh * wo + ow] = bi;
            }
        }
    }
}
void qk_f32_maxpool3s2_backward(const float *dy, const int32_t *argmax, int nc, int h, int w, int ho, int wo, float *dx) {
    for (int p = 0; p < nc; p++) {
        const float *dp = dy + (size_t)p * ho * wo;
        const int32_t *ap = argmax + (size_t)p * ho * wo;
        float *dxp = dx + (size_t)p * h * w;
        for (int i = 0; i < ho * wo; i++) dxp[ap[i]] += dp[i];
    }
}

void qk_f32_gap_forward(const float *x, int nc, int hw, float *y) {
    for (int p = 0; p < nc; p++) {
        const float *xp = x + (size_t)p * hw;
        float s = 0.f;
        for (int q = 0; q < hw; q++) s += xp[q];
        y[p] = s / (float)hw;
    }
}
void qk_f32_gap_backward(const float *dy, int nc, int hw, float *dx) {
    for (int p = 0; p < nc; p++) {
        float d = dy[p] / (float)hw;
        float *dp = dx + (size_t)p * hw;
        for (int q = 0; q < hw; q++) dp[q] += d;
    }
}

void qk_f32_avgpool2_forward(const float *x, int nc, int h, int w, float *y) {
    int ho = h / 2, wo = w / 2;
    for (int p = 0; p < nc; p++)
        for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++) {
                const float *r0 = x + ((size_t)p * h + 2 * i) * w + 2 * j, *r1 = r0 + w;
                y[((size_t)p * ho + i) * wo + j] = 0.25f * (r0[0] + r0[1] + r1[0] + r1[1]);
            }
}
void qk_f32_avgpool2_backward(const float *dy, int nc, int h, int w, float *dx) {
    int ho = h / 2, wo = w / 2;
    for (int p = 0; p < nc; p++)
        for (int i = 0; i < ho; i++)
            for (int j = 0; j < wo; j++) {
                float d = 0.25f * dy[((size_t)p * ho + i) * wo + j];
                float *r0 = dx + ((size_t)p * h + 2 * i) * w + 2 * j, *r1 = r0 + w;
                r0[0] += d; r0[1] += d; r1[0] += d; r1[1] += d;
            }
}

void qk_f32_upsample2_nearest_forward(const float *x, int nc, int h, int w, float *y) {
    const int w2 = 2 * w;
    for (int p = 0; p < nc; p++)
        for (int i = 0; i < h; i++) {
            const float *xr = x + ((size_t)p * h + i) * w;
            float *y0 = y + ((size_t)p * 2 * h + 2 * i) * w2, *y1 = y0 + w2;
            for (int j = 0; j < w; j++) { y0[2 * j] = xr[j]; y0[2 * j + 1] = xr[j]; }
            memcpy(y1, y0, sizeof(float) * w2);
        }
}
void qk_f32_upsample2_nearest_backward(const float *dy, int nc, int h, int w, float *dx) {
    const int w2 = 2 * w;
    for (int p = 0; p < nc; p++)
        for (int i = 0; i < h; i++) {
            float *dr = dx + ((size_t)p * h + i) * w;
            const float *y0 = dy + ((size_t)p * 2 * h + 2 * i) * w2, *y1 = y0 + w2;
            for (int j = 0; j < w; j++) dr[j] += y0[2 * j] + y0[2 * j + 1] + y1[2 * j] + y1[2 * j + 1];
        }
}

/* Bilinear 2x (align_corners = false): output o maps to source (o + 0.5)/2 - 0.5, i.e. weights
 * 0.25/0.75 between neighbours, clamped at the edges. */
static inline void bil_idx(int o, int n, int *i0, int *i1, float *f1) {
    float s = (o + 0.5f) * 0.5f - 0.5f;
    if (s < 0.f) s = 0.f;
    int a = (int)s;
    if (a > n - 1) a = n - 1;
    int b = a + 1 < n ? a + 1 : n - 1;
    *i0 = a; *i1 = b; *f1 = s - (float)a;
}
void qk_f32_upsample2_bilinear_forward(const float *x, int nc, int h, int w, float *y) {
    const int h2 = 2 * h, w2 = 2 * w;
    for (int p = 0; p < nc; p++) {
        const float *xp = x + (size_t)p * h * w;
        float *yp = y + (size_t)p * h2 * w2;
        for (int i = 0; i < h2; i++) {
            int a0, a1; float fa; bil_idx(i, h, &a0, &a1, &fa);
            for (int j = 0; j < w2; j++) {
                int b0, b1; float fb; bil_idx(j, w, &b0, &b1, &fb);
                float top = xp[a0 * w + b0] * (1 - fb) + xp[a0 * w + b1] * fb;
                float bot = xp[a1 * w + b0] * (1 - fb) + xp[a1 * w + b1] * fb;
                yp[i * w2 + j] = top * (1 - fa) + bot * fa;
            }
        }
    }
}
void qk_f32_upsample2_bilinear_backward(const float *dy, int nc, int h, int w, float *dx) {
    const int h2 = 2 * h, w2 = 2 * w;
    for (int p = 0; p < nc; p++) {
        float *dp = dx + (size_t)p * h * w;
        const float *yp = dy + (size_t)p * h2 * w2;
        for (int i = 0; i < h2; i++) {
            int a0, a1; float fa; bil_idx(i, h, &a0, &a1, &fa);
            for (int j = 0; j < w2; j++) {
                int b0, b1; float fb; bil_idx(j, w, &b0, &b1, &fb);
                float d = yp[i * w2 + j];
                dp[a0 * w + b0] += d * (1 - fa) * (1 - fb);
                dp[a0 * w + b1] += d * (1 - fa) * fb;
                dp[a1 * w + b0] += d * fa * (1 - fb);
                dp[a1 * w + b1] += d * fa * fb;
            }
        }
    }
}

void qk_f32_concat_channels(const float *a, int ca, const float *b, int cb, const float *bscale,
                            int n, int hw, float *y) {
    const int c = ca + cb;
    for (int i = 0; i < n; i++) {
        memcpy(y + (size_t)i * c * hw, a + (size_t)i * ca * hw, sizeof(float) * ca * hw);
        for (int ch = 0; ch < cb; ch++) {
            const float *br = b + ((size_t)i * cb + ch) * hw;
            float *yr = y + ((size_t)i * c + ca + ch) * hw;
            if (!bscale) memcpy(yr, br, sizeof(float) * hw);
            else { float s = bscale[ch]; for (int q = 0; q < hw; q++) yr[q] = br[q] * s; }
        }
    }
}
void qk_f32_split_channels_add(const float *dy, int ca, int cb, int n, int hw, float *da,
                               const float *b, const float *bscale, float *db, float *dbscale) {
    const int c = ca + cb;
    for (int i = 0; i < n; i++) {
        if (da) qk_f32_accumulate(da + (size_t)i * ca * hw, dy + (size_t)i * c * hw, (size_t)ca * hw);
        for (int ch = 0; ch < cb; ch++) {
            const float *dr = dy + ((size_t)i * c + ca + ch) * hw;
            float s = bscale ? bscale[ch] : 1.f;
            if (db) { float *o = db + ((size_t)i * cb + ch) * hw; for (int q = 0; q < hw; q++) o[q] += dr[q] * s; }
            if (dbscale && b) {
                const float *br = b + ((size_t)i * cb + ch) * hw;
                float acc = 0.f;
                for (int q = 0; q < hw; q++) acc += dr[q] * br[q];
                dbscale[ch] += acc;
            }
        }
    }
}

void qk_f32_channel_scale_forward(const float *x, const float *s, int n, int c, int hw, float *y) {
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            float *yr = y + ((size_t)i * c + ch) * hw, k = s[ch];
            for (int q = 0; q < hw; q++) yr[q] = xr[q] * k;
        }
}
void qk_f32_channel_scale_backward(const float *x, const float *s, const float *dy, int n, int c, int hw,
                                   float *dx, float *ds) {
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            const float *xr = x + ((size_t)i * c + ch) * hw, *dr = dy + ((size_t)i * c + ch) * hw;
            float k = s[ch], acc = 0.f;
            if (dx) { float *o = dx + ((size_t)i * c + ch) * hw; for (int q = 0; q < hw; q++) o[q] += dr[q] * k; }
            if (ds) { for (int q = 0; q < hw; q++) acc += dr[q] * xr[q]; ds[ch] += acc; }
        }
}

void qk_f32_softmax_channels(const float *x, int n, int c, int hw, float *p) {
    for (int i = 0; i < n; i++) {
        const float *xi = x + (size_t)i * c * hw;
        float *pi = p + (size_t)i * c * hw;
        for (int q = 0; q < hw; q++) {
            float m = xi[q];
            for (int ch = 1; ch < c; ch++) { float v = xi[(size_t)ch * hw + q]; if (v > m) m = v; }
            float s = 0.f;
            for (int ch = 0; ch < c; ch++) { float e = expf(xi[(size_t)ch * hw + q] - m); pi[(size_t)ch * hw + q] = e; s += e; }
            float inv = 1.f / s;
            for (int ch = 0; ch < c; ch++) pi[(size_t)ch * hw + q] *= inv;
        }
    }
}

void qk_f32_linear_forward(const float *x, const float *w, const float *b, int n, int in, int out, float *y) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.f, x, in, w, in, 0.f, y, out);
    if (b) for (int i = 0; i < n; i++) for (int o = 0; o < out; o++) y[(size_t)i * out + o] += b[o];
}
void qk_f32_linear_backward(const float *x, const float *w, const float *dy, int n, int in, int out,
                            float *dx, float *dw, float *db) {
    if (dx) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.f, dy, out, w, in, 1.f, dx, in);
    if (dw) cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.f, dy, out, x, in, 1.f, dw, in);
    if (db) for (int i = 0; i < n; i++) for (int o = 0; o < out; o++) db[o] += dy[(size_t)i * out + o];
}
