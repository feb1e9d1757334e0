/* fp32 batch norm (2-D over [n,c,hw], 1-D with hw = 1): train forward, eval forward, backward. */
#include "qk_f32.h"
#include <math.h>

void qk_f32_bn_forward_train(const float *x, int n, int c, int hw, const float *gamma, const float *beta,
                             float eps, float momentum, float *y, float *mean, float *invstd,
                             float *running_mean, float *running_var) {
    const double cnt = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double s = 0.0, ss = 0.0;
        for (int i = 0; i < n; i++) {
            const float *xr = x + ((size_t)i * c + ch) * hw;
            float fs = 0.f, fss = 0.f;
            for (int q = 0; q < hw; q++) { fs += xr[q]; }
            s += fs;
            (void)fss;
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

void qk_f32_bn_backward(const float *x, const float *dy, int n, int c, int hw, const float *gamma,
                        const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta) {
    const float cnt = (float)n * hw;
    for (int ch = 0; ch < c; ch++) {
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
