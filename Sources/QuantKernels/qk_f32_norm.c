/* fp32 batch norm (2-D over [n,c,hw], 1-D with hw = 1): train forward, eval forward, backward. */
#include "qk_f32.h"
#include <math.h>

static void bn_fwd_train_range(const float *x, int n, int c, int hw, const float *gamma, const float *beta,
                               float eps, float momentum, float *y, float *mean, float *invstd,
                               float *running_mean, float *running_var, int c0, int c1) {
    const double cnt = (double)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            float fs = 0.f;
            for (int q = 0; q < hw; q++) { fs += xr[q]; }
            s += fs;
        }
        double m = s / cnt;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            float fm = (float)m, acc = 0.f;
            for (int q = 0; q < hw; q++) { float d = xr[q] - fm; acc += d * d; }
            ss += acc;
        }
        double var = ss / cnt;
        float is = (float)(1.0 / sqrt(var + eps));
        mean[ch] = (float)m;
        invstd[ch] = is;
        if (running_mean) {
            running_mean[ch] = (1.f - momentum) * running_mean[ch] + momentum * (float)m;
            double uv = cnt > 1 ? var * cnt / (cnt - 1) : var;
            running_var[ch] = (1.f - momentum) * running_var[ch] + momentum * (float)uv;
        }
        float a = gamma[ch] * is, b = beta[ch] - (float)m * a;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            float *yr = y + ((size_t)i * c + ch) * hw;
            for (int q = 0; q < hw; q++) yr[q] = xr[q] * a + b;
        }
    }
}

void qk_f32_bn_forward_eval(const float *x, int n, int c, int hw, const float *gamma, const float *beta,
                            float eps, const float *running_mean, const float *running_var, float *y) {
    for (int ch = 0; ch < c; ch++) {
        float a = gamma[ch] / sqrtf(running_var[ch] + eps), b = beta[ch] - running_mean[ch] * a;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            float *yr = y + ((size_t)i * c + ch) * hw;
            for (int q = 0; q < hw; q++) yr[q] = xr[q] * a + b;
        }
    }
}

static void bn_bwd_range(const float *x, const float *dy, int n, int c, int hw, const float *gamma,
                         const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta, int c0, int c1) {
    const float cnt = (float)n * hw;
    for (int ch = c0; ch < c1; ch++) {
        const float m = mean[ch], is = invstd[ch];
        double sdy = 0.0, sdyx = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw, *dr = dy + ((size_t)i * c + ch) * hw;
            float a = 0.f, b = 0.f;
            for (int q = 0; q < hw; q++) { a += dr[q]; b += dr[q] * (xr[q] - m); }
            sdy += a; sdyx += b;
        }
        float sdxh = (float)sdyx * is; /* sum dy * xhat */
        if (dgamma) dgamma[ch] += sdxh;
        if (dbeta) dbeta[ch] += (float)sdy;
        if (!dx) continue;
        /* dx = gamma*is/cnt * (cnt*dy - sum dy - xhat * sum dy*xhat) */
        float k = gamma[ch] * is / cnt, mdy = (float)sdy, kx = sdxh * is;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw, *dr = dy + ((size_t)i * c + ch) * hw;
            float *dxr = dx + ((size_t)i * c + ch) * hw;
            for (int q = 0; q < hw; q++) dxr[q] += k * (cnt * dr[q] - mdy - (xr[q] - m) * kx);
        }
    }
}

void qk_f32_bn_backward_ref(const float *x, const float *dy, int n, int c, int hw, const float *gamma,
                            const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta) {
    const double cnt = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double sdy = 0, sdxh = 0;
        for (int i = 0; i < n; i++)
            for (int q = 0; q < hw; q++) {
                size_t k = ((size_t)i * c + ch) * hw + q;
                double xh = (x[k] - mean[ch]) * (double)invstd[ch];
                sdy += dy[k]; sdxh += dy[k] * xh;
            }
        if (dgamma) dgamma[ch] += (float)sdxh;
        if (dbeta) dbeta[ch] += (float)sdy;
        if (!dx) continue;
        for (int i = 0; i < n; i++)
            for (int q = 0; q < hw; q++) {
                size_t k = ((size_t)i * c + ch) * hw + q;
                double xh = (x[k] - mean[ch]) * (double)invstd[ch];
                dx[k] += (float)(gamma[ch] * invstd[ch] / cnt * (cnt * dy[k] - sdy - xh * sdxh));
            }
    }
}

typedef struct {
    const float *x, *dy, *gamma, *beta, *mean_in, *invstd_in;
    int n, c, hw; float eps, momentum;
    float *y, *mean, *invstd, *rm, *rv, *dx, *dgamma, *dbeta;
} bn_ctx;

static void bn_fwd_job(void *v, int b, int e, int tid) {
    bn_ctx *k = (bn_ctx *)v; (void)tid;
    bn_fwd_train_range(k->x, k->n, k->c, k->hw, k->gamma, k->beta, k->eps, k->momentum, k->y, k->mean, k->invstd, k->rm, k->rv, b, e);
}
static void bn_bwd_job(void *v, int b, int e, int tid) {
    bn_ctx *k = (bn_ctx *)v; (void)tid;
    bn_bwd_range(k->x, k->dy, k->n, k->c, k->hw, k->gamma, k->mean_in, k->invstd_in, k->dx, k->dgamma, k->dbeta, b, e);
}
/* Parallel over channels only when the tensor is big enough to pay for a thread. */
static int bn_min_chunk(int n, int c, int hw) {
    long long total = (long long)n * c * hw;
    return total < (1 << 16) ? c : 1;
}

void qk_f32_bn_forward_train(const float *x, int n, int c, int hw, const float *gamma, const float *beta,
                             float eps, float momentum, float *y, float *mean, float *invstd,
                             float *running_mean, float *running_var) {
    bn_ctx k = { x, NULL, gamma, beta, NULL, NULL, n, c, hw, eps, momentum, y, mean, invstd, running_mean, running_var, NULL, NULL, NULL };
    qk_parallel_for(c, bn_min_chunk(n, c, hw), bn_fwd_job, &k);
}

void qk_f32_bn_backward(const float *x, const float *dy, int n, int c, int hw, const float *gamma,
                        const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta) {
    bn_ctx k = { x, dy, gamma, NULL, mean, invstd, n, c, hw, 0, 0, NULL, NULL, NULL, NULL, NULL, dx, dgamma, dbeta };
    qk_parallel_for(c, bn_min_chunk(n, c, hw), bn_bwd_job, &k);
}
