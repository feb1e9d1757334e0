/* fp32 kernels (training and reference inference). NCHW layout, raw buffers.
 * Conventions: backward kernels ADD into gradient buffers (llm.c style); callers zero them.
 * Every fast kernel has a plain reference twin (`*_ref`) that the tests hold it to. */
#ifndef QK_F32_H
#define QK_F32_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/** Range worker: processes items [begin, end) as worker `tid` (0-based). */
typedef void (*qk_range_fn)(void *ctx, int begin, int end, int tid);
/** Threads the fp32 kernels split work over (default 1). Keep OpenBLAS at 1 thread when > 1. */
void qk_f32_set_threads(int n);
/** The kernel thread count set by qk_f32_set_threads. */
int qk_f32_threads(void);
/** Splits [0, n) into contiguous ranges (at least min_chunk items each) over the kernel threads. */
void qk_parallel_for(int n, int min_chunk, qk_range_fn fn, void *ctx);
/** Runs fn(ctx, i, i + 1, i) for i in [0, t) on t threads (t ≤ 16; the caller has decided t). */
void qk_parallel_run(int t, qk_range_fn fn, void *ctx);

/** Geometry of a 2-D convolution (square stride/pad, no dilation, no groups). */
typedef struct {
    int n, cin, h, w;        /* input  [n, cin, h, w] */
    int cout, kh, kw;        /* weight [cout, cin, kh, kw] */
    int stride, pad;
    int ho, wo;              /* output [n, cout, ho, wo]; ho = (h + 2 pad - kh) / stride + 1 */
    /* How the conv runs, fixed with the geometry so that workspace sizing and execution cannot
     * disagree whatever other threads change meanwhile: */
    int threads;             /* kernel threads (slices of the batch), ≥ 1 */
    size_t col_budget;       /* im2col buffer target in floats: images are grouped up to it; an
                              * image whose columns exceed it runs in output-row chunks */
} qk_conv_geom;

/** Fills ho/wo from the other fields, threads from qk_f32_threads() and col_budget with the
 *  default (2 Mi floats). Callers may change threads/col_budget afterwards (tests use small
 *  budgets and fixed thread counts), before sizing the workspace. */
void qk_conv_geom_finish(qk_conv_geom *g);
/** Floats of workspace the conv functions need for g (im2col buffer + batch-group staging, per
 * kernel thread, plus private weight-gradient buffers). */
size_t qk_conv_workspace_floats(const qk_conv_geom *g);

/** im2col of one image: x [cin,h,w] -> col [cin*kh*kw, ho*wo] (row stride ld). */
void qk_f32_im2col(const float *x, const qk_conv_geom *g, float *col, int ld);
/** col2im of one image, ADDING into dx [cin,h,w]. */
void qk_f32_col2im_add(const float *col, const qk_conv_geom *g, float *dx, int ld);

/** y = conv(x, w) (+ bias if non-NULL). y is overwritten. ws: qk_conv_workspace_floats floats. */
void qk_f32_conv2d_forward(const qk_conv_geom *g, const float *x, const float *w, const float *bias,
                           float *y, float *ws);
/** Backward: dw += dL/dw, db += dL/db (if non-NULL), dx += dL/dx (if non-NULL). */
void qk_f32_conv2d_backward(const qk_conv_geom *g, const float *x, const float *w, const float *dy,
                            float *dx, float *dw, float *db, float *ws);
/** Naive reference twins (direct loops). */
void qk_f32_conv2d_forward_ref(const qk_conv_geom *g, const float *x, const float *w, const float *bias, float *y);
void qk_f32_conv2d_backward_ref(const qk_conv_geom *g, const float *x, const float *w, const float *dy,
                                float *dx, float *dw, float *db);

/** Batch norm over [n, c, hw] (hw = 1 for BN1d on [n, c]).
 * Train: computes batch mean/invstd (biased var), writes y, updates running stats
 * (running = (1-momentum) running + momentum batch, running_var uses unbiased var). */
void qk_f32_bn_forward_train(const float *x, int n, int c, int hw, const float *gamma, const float *beta,
                             float eps, float momentum, float *y, float *mean, float *invstd,
                             float *running_mean, float *running_var);
/** Eval: y = gamma (x - running_mean)/sqrt(running_var + eps) + beta. */
void qk_f32_bn_forward_eval(const float *x, int n, int c, int hw, const float *gamma, const float *beta,
                            float eps, const float *running_mean, const float *running_var, float *y);
/** Train-mode backward: dx += ..., dgamma += ..., dbeta += ... */
void qk_f32_bn_backward(const float *x, const float *dy, int n, int c, int hw, const float *gamma,
                        const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta);
void qk_f32_bn_backward_ref(const float *x, const float *dy, int n, int c, int hw, const float *gamma,
                            const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta);

/** y = max(x, 0) (y may alias x). */
void qk_f32_relu_forward(const float *x, float *y, size_t count);
/** dx += dy * (y > 0). */
void qk_f32_relu_backward(const float *y, const float *dy, float *dx, size_t count);
/** y = a + b. */
void qk_f32_add(const float *a, const float *b, float *y, size_t count);
/** y += a. */
void qk_f32_accumulate(float *y, const float *a, size_t count);
/** y = a * s. */
void qk_f32_scale(const float *a, float s, float *y, size_t count);

/** Max-pool 3x3 stride 2 pad 1 over [nc, h, w] -> [nc, ho, wo]; argmax (index within plane) saved. */
void qk_f32_maxpool3s2_forward(const float *x, int nc, int h, int w, int ho, int wo, float *y, int32_t *argmax);
void qk_f32_maxpool3s2_forward_ref(const float *x, int nc, int h, int w, int ho, int wo, float *y, int32_t *argmax);
/** dx += scatter of dy through argmax. */
void qk_f32_maxpool3s2_backward(const float *dy, const int32_t *argmax, int nc, int h, int w, int ho, int wo, float *dx);

/** Global average pool [nc, hw] -> [nc]. */
void qk_f32_gap_forward(const float *x, int nc, int hw, float *y);
/** dx += dy / hw broadcast. */
void qk_f32_gap_backward(const float *dy, int nc, int hw, float *dx);

/** 2x average pool [nc,h,w] -> [nc,h/2,w/2] (h, w even). */
void qk_f32_avgpool2_forward(const float *x, int nc, int h, int w, float *y);
void qk_f32_avgpool2_backward(const float *dy, int nc, int h, int w, float *dx);

/** Nearest 2x upsample [nc,h,w] -> [nc,2h,2w]; backward dx += sum of the 4 children. */
void qk_f32_upsample2_nearest_forward(const float *x, int nc, int h, int w, float *y);
void qk_f32_upsample2_nearest_backward(const float *dy, int nc, int h, int w, float *dx);
/** Bilinear 2x upsample (align_corners = false, edge clamp); backward adds. */
void qk_f32_upsample2_bilinear_forward(const float *x, int nc, int h, int w, float *y);
void qk_f32_upsample2_bilinear_backward(const float *dy, int nc, int h, int w, float *dx);

/** Channel concat of a [n,ca,hw] and b [n,cb,hw] -> y [n,ca+cb,hw]; b may be scaled per channel
 * by bscale (NULL = 1). */
void qk_f32_concat_channels(const float *a, int ca, const float *b, int cb, const float *bscale,
                            int n, int hw, float *y);
/** Split backward: da += dy[:, :ca], db += bscale * dy[:, ca:], dbscale[c] += sum dy*b (each may be NULL). */
void qk_f32_split_channels_add(const float *dy, int ca, int cb, int n, int hw, float *da,
                               const float *b, const float *bscale, float *db, float *dbscale);

/** Per-channel scale y[n,c,hw] = x * s[c]; backward dx += dy*s, ds += sum dy*x. */
void qk_f32_channel_scale_forward(const float *x, const float *s, int n, int c, int hw, float *y);
void qk_f32_channel_scale_backward(const float *x, const float *s, const float *dy, int n, int c, int hw,
                                   float *dx, float *ds);

/** Softmax over channels at each pixel: x [n,c,hw] -> p [n,c,hw]. */
void qk_f32_softmax_channels(const float *x, int n, int c, int hw, float *p);

/** Fully connected: y [n,out] = x [n,in] W^T [in,out] + b. */
void qk_f32_linear_forward(const float *x, const float *w, const float *b, int n, int in, int out, float *y);
/** dx += dy W, dw += dy^T x, db += sum dy. */
void qk_f32_linear_backward(const float *x, const float *w, const float *dy, int n, int in, int out,
                            float *dx, float *dw, float *db);

#ifdef __cplusplus
}
#endif
#endif
