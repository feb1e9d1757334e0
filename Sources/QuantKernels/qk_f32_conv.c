/* fp32 convolution: im2col / col2im + cblas_sgemm, images grouped so small planes still make
 * wide GEMMs. Reference twins are direct loops. */
#include "qk_f32.h"
#include <cblas.h>
#include <string.h>

/* Default target floats of one im2col buffer: images are grouped until a group's columns reach it. */
#define QK_DEFAULT_COL_BUDGET ((size_t)1 << 21)

void qk_conv_geom_finish(qk_conv_geom *g) {
    g->ho = (g->h + 2 * g->pad - g->kh) / g->stride + 1;
    g->wo = (g->w + 2 * g->pad - g->kw) / g->stride + 1;
    g->threads = qk_f32_threads();
    g->col_budget = QK_DEFAULT_COL_BUDGET;
}

static size_t col_budget(const qk_conv_geom *g) {
    return g->col_budget ? g->col_budget : QK_DEFAULT_COL_BUDGET;
}

static int group_size(const qk_conv_geom *g) {
    /* Planes of >= 1024 outputs already make wide GEMMs: no grouping (avoids staging copies). */
    if ((size_t)g->ho * g->wo >= 1024) return 1;
    size_t per = (size_t)g->cin * g->kh * g->kw * g->ho * g->wo;
    size_t gs = per ? col_budget(g) / per : 1;
    if (gs < 1) gs = 1;
    if (gs > (size_t)g->n) gs = (size_t)g->n;
    return (int)gs;
}

static int is_pointwise(const qk_conv_geom *g) {
    return g->kh == 1 && g->kw == 1 && g->stride == 1 && g->pad == 0;
}

static int row_chunk(const qk_conv_geom *g);

static size_t serial_ws(const qk_conv_geom *g) {
    size_t k = (size_t)g->cin * g->kh * g->kw, p = (size_t)g->ho * g->wo, gs = (size_t)group_size(g);
    int rc = row_chunk(g);
    if (rc > 0) return 2 * k * (size_t)rc * g->wo;
    return 2 * k * gs * p + (size_t)g->cout * gs * p;
}

static void im2col_rows(const float *x, const qk_conv_geom *g, int oh0, int oh1, float *col, int ld) {
    const int h = g->h, w = g->w, wo = g->wo, s = g->stride, p = g->pad;
    for (int c = 0; c < g->cin; c++) {
        const float *xc = x + (size_t)c * h * w;
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                float *row = col + (size_t)((c * g->kh + ki) * g->kw + kj) * ld;
                /* valid ow range: 0 <= ow*s - p + kj < w */
                int lo = p - kj > 0 ? (p - kj + s - 1) / s : 0;
                int hi = (w - 1 + p - kj) >= 0 ? (w - 1 + p - kj) / s + 1 : 0;
                if (hi > wo) hi = wo;
                if (lo > hi) lo = hi;
                for (int oh = oh0; oh < oh1; oh++) {
                    float *r = row + (size_t)(oh - oh0) * wo;
                    int ih = oh * s - p + ki;
                    if (ih < 0 || ih >= h) { memset(r, 0, sizeof(float) * wo); continue; }
                    const float *xr = xc + (size_t)ih * w - p + kj;
                    for (int ow = 0; ow < lo; ow++) r[ow] = 0.f;
                    if (s == 1) memcpy(r + lo, xr + lo, sizeof(float) * (hi - lo));
                    else if (s == 2) for (int ow = lo; ow < hi; ow++) r[ow] = xr[2 * ow];
                    else for (int ow = lo; ow < hi; ow++) r[ow] = xr[ow * s];
                    for (int ow = hi; ow < wo; ow++) r[ow] = 0.f;
                }
            }
    }
}

static void col2im_rows_add(const float *col, const qk_conv_geom *g, int oh0, int oh1, float *dx, int ld) {
    const int h = g->h, w = g->w, wo = g->wo, s = g->stride, p = g->pad;
    for (int c = 0; c < g->cin; c++) {
        float *dc = dx + (size_t)c * h * w;
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                const float *row = col + (size_t)((c * g->kh + ki) * g->kw + kj) * ld;
                int lo = p - kj > 0 ? (p - kj + s - 1) / s : 0;
                int hi = (w - 1 + p - kj) >= 0 ? (w - 1 + p - kj) / s + 1 : 0;
                if (hi > wo) hi = wo;
                if (lo > hi) lo = hi;
                for (int oh = oh0; oh < oh1; oh++) {
                    int ih = oh * s - p + ki;
                    if (ih < 0 || ih >= h) continue;
                    const float *r = row + (size_t)(oh - oh0) * wo;
                    float *dr = dc + (size_t)ih * w - p + kj;
                    if (s == 1) for (int ow = lo; ow < hi; ow++) dr[ow] += r[ow];
                    else for (int ow = lo; ow < hi; ow++) dr[ow * s] += r[ow];
                }
            }
    }
}

void qk_f32_im2col(const float *x, const qk_conv_geom *g, float *col, int ld) { im2col_rows(x, g, 0, g->ho, col, ld); }
void qk_f32_col2im_add(const float *col, const qk_conv_geom *g, float *dx, int ld) { col2im_rows_add(col, g, 0, g->ho, dx, ld); }

/* Output rows per chunk when one image's columns exceed the budget (0 = no row chunking). */
static int row_chunk(const qk_conv_geom *g) {
    size_t per = (size_t)g->cin * g->kh * g->kw * g->ho * g->wo;
    if (per <= col_budget(g) || is_pointwise(g)) return 0;
    size_t rows = col_budget(g) / ((size_t)g->cin * g->kh * g->kw * g->wo);
    if (rows < 1) rows = 1;
    return (int)rows;
}

static void forward_chunked(const qk_conv_geom *g, const float *x, const float *w, float *y, float *col, int rc) {
    const int K = g->cin * g->kh * g->kw, P = g->ho * g->wo;
    for (int oh0 = 0; oh0 < g->ho; oh0 += rc) {
        int oh1 = oh0 + rc < g->ho ? oh0 + rc : g->ho, ld = (oh1 - oh0) * g->wo;
        im2col_rows(x, g, oh0, oh1, col, ld);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cout, ld, K, 1.f, w, K, col, ld, 0.f, y + (size_t)oh0 * g->wo, P);
    }
}

static void backward_chunked(const qk_conv_geom *g, const float *x, const float *w, const float *dy, float *dx,
                             float *dw, float *col, float *dcol, int rc) {
    const int K = g->cin * g->kh * g->kw, P = g->ho * g->wo;
    for (int oh0 = 0; oh0 < g->ho; oh0 += rc) {
        int oh1 = oh0 + rc < g->ho ? oh0 + rc : g->ho, ld = (oh1 - oh0) * g->wo;
        const float *d = dy + (size_t)oh0 * g->wo;
        im2col_rows(x, g, oh0, oh1, col, ld);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->cout, K, ld, 1.f, d, P, col, ld, 1.f, dw, K);
        if (dx) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, ld, g->cout, 1.f, w, K, d, P, 0.f, dcol, ld);
            col2im_rows_add(dcol, g, oh0, oh1, dx, ld);
        }
    }
}

static void forward_serial(const qk_conv_geom *g, const float *x, const float *w, const float *bias,
                           float *y, float *ws) {
    const int K = g->cin * g->kh * g->kw, P = g->ho * g->wo, G = group_size(g);
    const size_t xs = (size_t)g->cin * g->h * g->w, ys = (size_t)g->cout * P;
    float *col = ws, *stage = ws + 2 * (size_t)K * G * P;
    int rc = row_chunk(g);
    if (rc > 0) {
        for (int i = 0; i < g->n; i++) {
            forward_chunked(g, x + i * xs, w, y + i * ys, col, rc);
            if (bias) for (int co = 0; co < g->cout; co++) { float *yr = y + i * ys + (size_t)co * P; for (int q = 0; q < P; q++) yr[q] += bias[co]; }
        }
        return;
    }
    for (int i0 = 0; i0 < g->n; i0 += G) {
        int gi = g->n - i0 < G ? g->n - i0 : G;
        int ld = gi * P;
        const float *cp;
        if (gi == 1 && is_pointwise(g)) cp = x + i0 * xs;
        else {
            for (int j = 0; j < gi; j++) qk_f32_im2col(x + (i0 + j) * xs, g, col + (size_t)j * P, ld);
            cp = col;
        }
        float *out = gi == 1 ? y + i0 * ys : stage;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, g->cout, ld, K, 1.f, w, K, cp, ld, 0.f, out, ld);
        if (gi > 1)
            for (int j = 0; j < gi; j++)
                for (int co = 0; co < g->cout; co++)
                    memcpy(y + (i0 + j) * ys + (size_t)co * P, stage + (size_t)co * ld + (size_t)j * P, sizeof(float) * P);
        if (bias)
            for (int j = 0; j < gi; j++)
                for (int co = 0; co < g->cout; co++) {
                    float *yr = y + (i0 + j) * ys + (size_t)co * P, b = bias[co];
                    for (int q = 0; q < P; q++) yr[q] += b;
                }
    }
}

static void backward_serial(const qk_conv_geom *g, const float *x, const float *w, const float *dy,
                            float *dx, float *dw, float *db, float *ws) {
    const int K = g->cin * g->kh * g->kw, P = g->ho * g->wo, G = group_size(g);
    const size_t xs = (size_t)g->cin * g->h * g->w, ys = (size_t)g->cout * P;
    float *col = ws, *dcol = ws + (size_t)K * G * P, *stage = ws + 2 * (size_t)K * G * P;
    int rc = row_chunk(g);
    if (rc > 0) {
        dcol = ws + (size_t)K * rc * g->wo;
        for (int i = 0; i < g->n; i++) {
            backward_chunked(g, x + i * xs, w, dy + i * ys, dx ? dx + i * xs : NULL, dw, col, dcol, rc);
            if (db) for (int co = 0; co < g->cout; co++) { const float *r = dy + i * ys + (size_t)co * P; float s = 0.f; for (int q = 0; q < P; q++) s += r[q]; db[co] += s; }
        }
        return;
    }
    for (int i0 = 0; i0 < g->n; i0 += G) {
        int gi = g->n - i0 < G ? g->n - i0 : G;
        int ld = gi * P;
        int direct = gi == 1 && is_pointwise(g);
        const float *cp;
        if (direct) cp = x + i0 * xs;
        else {
            for (int j = 0; j < gi; j++) qk_f32_im2col(x + (i0 + j) * xs, g, col + (size_t)j * P, ld);
            cp = col;
        }
        const float *d;
        if (gi == 1) d = dy + i0 * ys;
        else {
            for (int j = 0; j < gi; j++)
                for (int co = 0; co < g->cout; co++)
                    memcpy(stage + (size_t)co * ld + (size_t)j * P, dy + (i0 + j) * ys + (size_t)co * P, sizeof(float) * P);
            d = stage;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, g->cout, K, ld, 1.f, d, ld, cp, ld, 1.f, dw, K);
        if (db)
            for (int co = 0; co < g->cout; co++) {
                const float *r = d + (size_t)co * ld;
                float s = 0.f;
                for (int q = 0; q < ld; q++) s += r[q];
                db[co] += s;
            }
        if (dx) {
            if (direct) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, ld, g->cout, 1.f, w, K, d, ld, 1.f, dx + i0 * xs, ld);
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, ld, g->cout, 1.f, w, K, d, ld, 0.f, dcol, ld);
                for (int j = 0; j < gi; j++) qk_f32_col2im_add(dcol + (size_t)j * P, g, dx + (i0 + j) * xs, ld);
            }
        }
    }
}

/* Batch-parallel wrappers: each kernel thread runs the serial path on a slice of the images with
 * its own workspace; weight/bias gradients of threads > 0 go to private buffers summed at the end.
 * The thread count is the geometry's, the same for workspace sizing and execution. */
static int conv_threads(const qk_conv_geom *g) {
    int t = g->threads < 1 ? 1 : (g->threads > 16 ? 16 : g->threads);
    return t > g->n ? g->n : t;
}

static size_t slice_ws(const qk_conv_geom *g, int t) {
    qk_conv_geom s = *g;
    s.n = (g->n + t - 1) / t;
    return serial_ws(&s);
}

size_t qk_conv_workspace_floats(const qk_conv_geom *g) {
    int t = conv_threads(g);
    if (t <= 1) return serial_ws(g);
    size_t wcount = (size_t)g->cout * g->cin * g->kh * g->kw + g->cout;
    return (size_t)t * slice_ws(g, t) + (size_t)(t - 1) * wcount;
}

typedef struct {
    const qk_conv_geom *g; const float *x, *w, *bias, *dy; float *y, *dx, *dw, *db, *ws;
    size_t per_ws, wcount; int t;
} conv_ctx;

/* Slice `tid` of t handles images [n·tid/t, n·(tid+1)/t) (at most ceil(n/t), as the workspace
 * assumes) with workspace slice tid. A worker runs the slices [i0, i1) it is given (one each under
 * qk_parallel_run). */
static void conv_fwd_slice(conv_ctx *c, int tid) {
    int b = (int)((long long)c->g->n * tid / c->t), e = (int)((long long)c->g->n * (tid + 1) / c->t);
    if (e <= b) return;
    qk_conv_geom s = *c->g; s.n = e - b;
    size_t xs = (size_t)s.cin * s.h * s.w, ys = (size_t)s.cout * s.ho * s.wo;
    forward_serial(&s, c->x + b * xs, c->w, c->bias, c->y + b * ys, c->ws + tid * c->per_ws);
}

static void conv_fwd_range(void *vc, int i0, int i1, int worker_unused) {
    (void)worker_unused;
    for (int tid = i0; tid < i1; tid++) conv_fwd_slice((conv_ctx *)vc, tid);
}

static void conv_bwd_slice(conv_ctx *c, int tid) {
    int b = (int)((long long)c->g->n * tid / c->t), e = (int)((long long)c->g->n * (tid + 1) / c->t);
    float *priv = c->ws + (size_t)c->t * c->per_ws + (size_t)(tid - 1) * c->wcount;
    if (tid > 0) memset(priv, 0, sizeof(float) * c->wcount);
    if (e <= b) return;
    qk_conv_geom s = *c->g; s.n = e - b;
    size_t xs = (size_t)s.cin * s.h * s.w, ys = (size_t)s.cout * s.ho * s.wo;
    float *dw = c->dw, *db = c->db;
    if (tid > 0) {
        dw = priv; db = c->db ? priv + (c->wcount - s.cout) : NULL;
    }
    backward_serial(&s, c->x + b * xs, c->w, c->dy + b * ys, c->dx ? c->dx + b * xs : NULL, dw, db, c->ws + tid * c->per_ws);
}

static void conv_bwd_range(void *vc, int i0, int i1, int worker_unused) {
    (void)worker_unused;
    for (int tid = i0; tid < i1; tid++) conv_bwd_slice((conv_ctx *)vc, tid);
}

void qk_f32_conv2d_forward(const qk_conv_geom *g, const float *x, const float *w, const float *bias,
                           float *y, float *ws) {
    int t = conv_threads(g);
    if (t <= 1) { forward_serial(g, x, w, bias, y, ws); return; }
    conv_ctx c = { g, x, w, bias, NULL, y, NULL, NULL, NULL, ws, slice_ws(g, t), 0, t };
    qk_parallel_run(t, conv_fwd_range, &c);
}

void qk_f32_conv2d_backward(const qk_conv_geom *g, const float *x, const float *w, const float *dy,
                            float *dx, float *dw, float *db, float *ws) {
    int t = conv_threads(g);
    if (t <= 1) { backward_serial(g, x, w, dy, dx, dw, db, ws); return; }
    size_t wn = (size_t)g->cout * g->cin * g->kh * g->kw;
    conv_ctx c = { g, x, w, NULL, dy, NULL, dx, dw, db, ws, slice_ws(g, t), wn + g->cout, t };
    qk_parallel_run(t, conv_bwd_range, &c);
    for (int i = 1; i < t; i++) {
        const float *priv = ws + (size_t)t * c.per_ws + (size_t)(i - 1) * c.wcount;
        for (size_t k = 0; k < wn; k++) dw[k] += priv[k];
        if (db) for (int k = 0; k < g->cout; k++) db[k] += priv[wn + k];
    }
}

void qk_f32_conv2d_forward_ref(const qk_conv_geom *g, const float *x, const float *w, const float *bias, float *y) {
    for (int n = 0; n < g->n; n++)
        for (int co = 0; co < g->cout; co++)
            for (int oh = 0; oh < g->ho; oh++)
                for (int ow = 0; ow < g->wo; ow++) {
                    double s = bias ? bias[co] : 0.0;
                    for (int ci = 0; ci < g->cin; ci++)
                        for (int ki = 0; ki < g->kh; ki++)
                            for (int kj = 0; kj < g->kw; kj++) {
                                int ih = oh * g->stride - g->pad + ki, iw = ow * g->stride - g->pad + kj;
                                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                                s += (double)x[((size_t)(n * g->cin + ci) * g->h + ih) * g->w + iw] *
                                     w[((size_t)(co * g->cin + ci) * g->kh + ki) * g->kw + kj];
                            }
                    y[((size_t)(n * g->cout + co) * g->ho + oh) * g->wo + ow] = (float)s;
                }
}

void qk_f32_conv2d_backward_ref(const qk_conv_geom *g, const float *x, const float *w, const float *dy,
                                float *dx, float *dw, float *db) {
    for (int n = 0; n < g->n; n++)
        for (int co = 0; co < g->cout; co++)
            for (int oh = 0; oh < g->ho; oh++)
                for (int ow = 0; ow < g->wo; ow++) {
                    float d = dy[((size_t)(n * g->cout + co) * g->ho + oh) * g->wo + ow];
                    if (db) db[co] += d;
                    for (int ci = 0; ci < g->cin; ci++)
                        for (int ki = 0; ki < g->kh; ki++)
                            for (int kj = 0; kj < g->kw; kj++) {
                                int ih = oh * g->stride - g->pad + ki, iw = ow * g->stride - g->pad + kj;
                                if (ih < 0 || ih >= g->h || iw < 0 || iw >= g->w) continue;
                                size_t xi = ((size_t)(n * g->cin + ci) * g->h + ih) * g->w + iw;
                                size_t wi = ((size_t)(co * g->cin + ci) * g->kh + ki) * g->kw + kj;
                                dw[wi] += d * x[xi];
                                if (dx) dx[xi] += d * w[wi];
                            }
                }
}
