/* int8 kernels (deployed inference): u8 activations x s8 weights -> s32, fused output stage.
 *
 * Layout: activations are NHWC (channels last) u8 with a per-tensor scale and zero point; the C
 * API takes the real channel count and, optionally, a pixel stride (elements from one pixel to the
 * next) so a conv can read a channel slice or write straight into a slice of a concat buffer.
 * Weights are int8, symmetric per output channel (zero point 0), given as [Cout][KH][KW][Cin] and
 * packed once (qk_int8_pack_weights) into the blocked layouts the tiers use.
 *
 * Arithmetic (identical bits in every tier; the plain C reference is the oracle):
 *   acc[c]  = sum_{kh,kw,ic} (x[ih,iw,ic] - in_zp) * w[c,kh,kw,ic]       (int32, exact)
 *             where a padded position reads x = in_zp (zero padding in real units)
 *   v       = (float)(acc[c] + bias[c]) * out_mult[c]                     (float mul)
 *   v       = v + (float)(residual - res_zp) * res_mult                   (if residual != NULL)
 *   v       = v + (float)out_zp
 *   v       = min(max(v, lo), 255) with lo = relu ? out_zp : 0
 *   out     = round-half-to-even(v)                                        (u8)
 * Every float step is a separate IEEE single operation (no fused multiply-add), so scalar and
 * SIMD code agree exactly. Typical choice: out_mult[c] = in_scale * w_scale[c] / out_scale,
 * res_mult = res_scale / out_scale, bias[c] = round(bias_real[c] / (in_scale * w_scale[c])).
 * The float-output variant computes out = (float)acc[c] * out_scale[c] + out_bias[c] (separate
 * mul and add) for the final classifier.
 *
 * Tiers (runtime dispatch on qk_cpu_features()): AMX-INT8 > AVX-512 VNNI > AVX-VNNI > AVX2 > ref.
 * Environment variable QK_INT8_TIER=ref|avx2|avxvnni|avx512vnni|amx or qk_int8_force_tier()
 * force one; a tier the CPU lacks is refused. Work is split over qk_set_num_threads() threads.
 */
#ifndef QK_INT8_H
#define QK_INT8_H
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif

/** Status codes of the int8 API (0 = success). */
typedef enum {
    QK_OK = 0,
    QK_ERR_ARG = -1,         /**< a shape/stride/pointer argument is invalid */
    QK_ERR_NOMEM = -2,       /**< allocation failed */
    QK_ERR_UNSUPPORTED = -3, /**< the CPU (or OS) lacks the requested tier */
} qk_status;

/** Kernel tiers, slowest to fastest. */
typedef enum {
    QK_TIER_AUTO = -1,
    QK_TIER_REF = 0,
    QK_TIER_AVX2 = 1,
    QK_TIER_AVXVNNI = 2,
    QK_TIER_AVX512VNNI = 3,
    QK_TIER_AMX = 4,
    QK_TIER_COUNT = 5,
} qk_int8_tier;

/** Name of a tier ("ref", "avx2", "avxvnni", "avx512vnni", "amx"), or "auto"/"?". */
const char *qk_int8_tier_name(int tier);
/** 1 if this CPU/OS can run `tier`, else 0. */
int qk_int8_tier_supported(int tier);
/** The tier convolutions use now (forced or the best supported). */
int qk_int8_active_tier(void);
/** Why QK_INT8_TIER was ignored ("unknown tier name ..." / "this CPU lacks ..."), or NULL if it is
 *  unset or was honoured. Meant for the caller's log; valid for the life of the process. */
const char *qk_int8_tier_env_problem(void);
/** Forces a tier (QK_TIER_AUTO returns to the best supported; QK_INT8_TIER is read on first use).
 *  Returns QK_ERR_UNSUPPORTED (and changes nothing) for a tier the CPU lacks. */
int qk_int8_force_tier(int tier);

/** Sets the thread count of the int8 pool AND OpenBLAS (n >= 1; clamped to 64). One budget for
 *  both: the two never run at the same time in this product, so they must not oversubscribe. */
void qk_set_num_threads(int n);
/** The current thread budget (default 1). */
int qk_get_num_threads(void);

/** Convolution geometry and quantization parameters. Output size:
 *  out_h = (h + pad_top + pad_bottom - dilation*(kh-1) - 1) / stride_h + 1, likewise out_w. */
typedef struct {
    int n, h, w;           /**< batch and input spatial size */
    int cin, cout;         /**< real channel counts */
    int kh, kw;            /**< kernel size */
    int stride_h, stride_w;
    int pad_top, pad_left, pad_bottom, pad_right;
    int dilation;          /**< 1 (0 is read as 1) */
    int in_pixel_stride;   /**< u8 elements between input pixels (0 = cin) */
    int out_pixel_stride;  /**< elements between output pixels (0 = cout); u8 or float elements */
    int res_pixel_stride;  /**< elements between residual pixels (0 = cout) */
    int in_zp;             /**< input zero point 0..255 (also the padding value) */
    int out_zp;            /**< output zero point 0..255 */
    int relu;              /**< 1: clamp at out_zp (ReLU in real units) after the residual add */
    int res_zp;            /**< residual zero point 0..255 */
    float res_mult;        /**< residual scale / output scale */
    long in_row_stride;    /**< u8 elements between input rows (0 = w * pixel stride), so a conv can
                            *   read a window of a wider tensor in place; images are h rows apart */
    long res_row_stride;   /**< u8 elements between residual rows (0 = out_w * residual pixel
                            *   stride); images are out_h rows apart */
} qk_conv_params;

/** Output height/width of a conv described by p (0 if the geometry is invalid). */
int qk_conv_out_h(const qk_conv_params *p);
int qk_conv_out_w(const qk_conv_params *p);

/** Opaque packed weights (blocked per tier) plus per-channel weight sums. */
typedef struct qk_packed_weights qk_packed_weights;

/** Packs w[Cout][KH][KW][Cin] (int8, symmetric). Returns NULL on bad arguments or no memory. */
qk_packed_weights *qk_int8_pack_weights(const int8_t *w, int cout, int kh, int kw, int cin);
void qk_int8_free_packed(qk_packed_weights *pw);
/** Sum over kh,kw,ic of w[c] (the zero-point correction term), array of cout. */
const int32_t *qk_int8_packed_wsum(const qk_packed_weights *pw);

/** u8 NHWC conv with the fused output stage described at the top of this file.
 *  in: [n][h][w] pixels of in_pixel_stride u8; bias: [cout] int32 (NULL = 0); out_mult: [cout];
 *  residual: [n][out_h][out_w] pixels of res_pixel_stride u8, or NULL; out: [n][out_h][out_w]
 *  pixels of out_pixel_stride u8 (only the first cout of each pixel are written).
 *  `in` and `out` must not overlap. Returns a qk_status. */
int qk_int8_conv2d(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                   const int32_t *bias, const float *out_mult, const uint8_t *residual,
                   uint8_t *out);

/** Same conv with float output: out = (float)acc[c] * out_scale[c] + out_bias[c] (out_bias may
 *  be NULL); out_zp/relu/residual fields are ignored. out: [n][out_h][out_w] x out_pixel_stride. */
int qk_int8_conv2d_f32out(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                          const float *out_scale, const float *out_bias, float *out);

/** The same conv computed by the plain C reference (the test oracle), regardless of tier. */
int qk_int8_conv2d_ref(const qk_conv_params *p, const qk_packed_weights *pw, const uint8_t *in,
                       const int32_t *bias, const float *out_mult, const uint8_t *residual,
                       uint8_t *out);
int qk_int8_conv2d_f32out_ref(const qk_conv_params *p, const qk_packed_weights *pw,
                              const uint8_t *in, const float *out_scale, const float *out_bias,
                              float *out);

/** The same convs on an explicitly chosen tier (tests, benchmarks): QK_ERR_UNSUPPORTED if the
 *  CPU lacks it. Does not change the active tier. */
int qk_int8_conv2d_tier(int tier, const qk_conv_params *p, const qk_packed_weights *pw,
                        const uint8_t *in, const int32_t *bias, const float *out_mult,
                        const uint8_t *residual, uint8_t *out);
int qk_int8_conv2d_f32out_tier(int tier, const qk_conv_params *p, const qk_packed_weights *pw,
                               const uint8_t *in, const float *out_scale, const float *out_bias,
                               float *out);

/* ---- element-wise and resampling ops on u8 NHWC tensors (pixel stride = c unless given) ---- */

/** u8 max-pool k x k, stride s, padding pad (padded taps are ignored, not zero). Same scale/zp
 *  in and out. in: [n][h][w][c], out: [n][oh][ow][c] with oh = (h + 2*pad - k)/s + 1. */
int qk_u8_maxpool2d(const uint8_t *in, int n, int h, int w, int c, int k, int stride, int pad,
                    uint8_t *out);
/** The same max-pool on one image read in place from a wider tensor: `in` points at pixel (0, 0)
 *  of an h x w window whose rows are in_row_stride u8 apart (pixels c apart). Output
 *  [oh][ow][c]: out[oy][ox] = max over taps (oy*stride - pad_top + ky, ox*stride - pad_left + kx)
 *  inside the window (taps outside are ignored, so the window's edges act as padding only where
 *  the caller says). Every output must have a tap inside (QK_ERR_ARG otherwise). */
int qk_u8_maxpool2d_window(const uint8_t *in, long in_row_stride, int h, int w, int c, int k, int stride,
                           int pad_top, int pad_left, int oh, int ow, uint8_t *out);
/** Nearest 2x upsample: out[n][2h][2w][c] = in[n][h][w][c]. Pixel strides as in the conv. */
int qk_u8_upsample2x_nearest(const uint8_t *in, int n, int h, int w, int c, int in_pixel_stride,
                             uint8_t *out, int out_pixel_stride);
/** Bilinear 2x upsample (align_corners = false, half-pixel centres, edges clamped), in u8 space
 *  with the same scale/zp: weights are 1/4, 3/4 per axis, so
 *  out = (sum of wy*wx*in in sixteenths + 8) >> 4 (exact integer, round half up). */
int qk_u8_upsample2x_bilinear(const uint8_t *in, int n, int h, int w, int c, int in_pixel_stride,
                              uint8_t *out, int out_pixel_stride);
/** Copies/requantizes a u8 tensor into a channel slice of another (channel concat):
 *  out[p][c_off + c] = requant(in[p][c]) for npix pixels, c < c_in, where
 *  requant(x) = round-half-even(clamp((float)(x - in_zp) * mult + (float)out_zp, 0, 255))
 *  (mult = in_scale/out_scale); mult == 1 && in_zp == out_zp is a plain copy. The requantize is a
 *  256-entry table built from that formula and applied with qk_u8_lut_apply (QK_LUT_AUTO). */
int qk_u8_requantize_into(const uint8_t *in, size_t npix, int c_in, int in_pixel_stride,
                          int in_zp, float mult, int out_zp, uint8_t *out, int out_pixel_stride,
                          int c_off);
/** Paths of qk_u8_lut_apply. */
typedef enum { QK_LUT_AUTO = 0, QK_LUT_REF = 1, QK_LUT_VBMI = 2 } qk_lut_path;
/** Byte table lookup over strided pixels, on the calling thread:
 *  out[p * out_pixel_stride + i] = lut[in[p * in_pixel_stride + i]] for p < npix, i < c; other
 *  bytes of out are not touched. lut has 256 entries. path QK_LUT_REF is plain C, QK_LUT_VBMI
 *  AVX-512 VBMI (QK_ERR_UNSUPPORTED on a CPU without it), QK_LUT_AUTO the one
 *  qk_u8_requantize_into uses: VBMI when the CPU has it and the int8 tier is avx512vnni or amx. */
int qk_u8_lut_apply(const uint8_t *lut, const uint8_t *in, size_t npix, int c, int in_pixel_stride,
                    uint8_t *out, int out_pixel_stride, int path);
/** 1 if QK_LUT_AUTO picks the VBMI path now, else 0. */
int qk_u8_lut_vbmi_active(void);
/** Class ids from channels-last logits [pixels][classes]: out[p] = the index of the largest value,
 *  ties (and NaNs, which never compare greater) to the lower index. classes 1...256. */
int qk_f32_argmax(const float *logits, size_t pixels, int classes, uint8_t *out);
/** u8 -> float: out[i] = (float)(in[i] - zp) * scale. */
void qk_u8_dequantize(const uint8_t *in, size_t count, float scale, int zp, float *out);
/** float -> u8: out[i] = round-half-even(clamp(in[i] * inv_scale + zp, 0, 255)) (NaN -> zp). */
void qk_f32_quantize_u8(const float *in, size_t count, float inv_scale, int zp, uint8_t *out);
/** Image intensities in [0, 1] -> the int8 model's u8 input: out[i] = round-half-away-from-zero(
 *  clamp(in[i] * 255, 0, 255)), NaN -> 255 (as the Swift expression
 *  UInt8(max(0, min(255, (x * 255).rounded()))) it replaces, bit for bit). */
void qk_f32_unit_to_u8(const float *in, size_t count, uint8_t *out);
/** Strided row accumulation (test-time augmentation maps each view's logits back onto the tile):
 *  for r < rows, j < count[r], c < k: dst[dst_off[r] + j * dst_step[r] + c] += src[src_off[r] + j * k + c].
 *  Rows are split over the int8 pool when the work is large, so the destinations of different rows
 *  must not overlap. */
void qk_f32_add_strided_rows(float *dst, const float *src, const long *dst_off, const long *dst_step,
                             const long *src_off, const long *count, long rows, int k);

#ifdef __cplusplus
}
#endif
#endif
