/* u8 NHWC element-wise and resampling ops (max-pool, 2x upsample, requantizing copy into a
 * concat slice, quantize/dequantize). Plain C written so -O3 vectorises the channel loops; the
 * tests hold them to naive Swift references. */
#pragma STDC FP_CONTRACT OFF
#include "qk_int8.h"
#include <string.h>

int qk_u8_maxpool2d(const uint8_t *in, int n, int h, int w, int c, int k, int s, int pad, uint8_t *out) {
    if (!in || !out || n <= 0 || h <= 0 || w <= 0 || c <= 0 || k <= 0 || s <= 0 || pad < 0 || pad >= k) return QK_ERR_ARG;
    int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
    if (h + 2 * pad < k || w + 2 * pad < k) return QK_ERR_ARG;
    for (int b = 0; b < n; b++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                uint8_t *o = out + (((size_t)b * oh + oy) * ow + ox) * c;
                memset(o, 0, (size_t)c);
                for (int ky = 0; ky < k; ky++) {
                    int iy = oy * s - pad + ky;
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < k; kx++) {
                        int ix = ox * s - pad + kx;
                        if (ix < 0 || ix >= w) continue;
                        const uint8_t *x = in + (((size_t)b * h + iy) * w + ix) * c;
                        for (int i = 0; i < c; i++) o[i] = x[i] > o[i] ? x[i] : o[i];
                    }
                }
            }
    return QK_OK;
}

int qk_u8_upsample2x_nearest(const uint8_t *in, int n, int h, int w, int c, int isx, uint8_t *out, int osx) {
    if (!in || !out || n <= 0 || h <= 0 || w <= 0 || c <= 0) return QK_ERR_ARG;
    if (isx == 0) isx = c;
    if (osx == 0) osx = c;
    if (isx < c || osx < c) return QK_ERR_ARG;
    for (int b = 0; b < n; b++)
        for (int y = 0; y < 2 * h; y++)
            for (int x = 0; x < 2 * w; x++)
                memcpy(out + (((size_t)b * 2 * h + y) * 2 * w + x) * osx,
                       in + (((size_t)b * h + y / 2) * w + x / 2) * isx, (size_t)c);
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

int qk_u8_requantize_into(const uint8_t *in, size_t npix, int c_in, int isx, int in_zp, float mult, int out_zp,
                          uint8_t *out, int osx, int c_off) {
    if (!in || !out || c_in <= 0 || c_off < 0 || in_zp < 0 || in_zp > 255 || out_zp < 0 || out_zp > 255) return QK_ERR_ARG;
    if (isx == 0) isx = c_in;
    if (osx == 0) osx = c_off + c_in;
    if (isx < c_in || osx < c_off + c_in) return QK_ERR_ARG;
    if (mult == 1.0f && in_zp == out_zp) {
        for (size_t p = 0; p < npix; p++) memcpy(out + p * osx + c_off, in + p * isx, (size_t)c_in);
        return QK_OK;
    }
    uint8_t lut[256];
    for (int x = 0; x < 256; x++) {
        float v = (float)(x - in_zp) * mult;
        v = v + (float)out_zp;
        v = v < 0.0f ? 0.0f : v;
        v = v > 255.0f ? 255.0f : v;
        lut[x] = (uint8_t)(int)__builtin_nearbyintf(v);
    }
    for (size_t p = 0; p < npix; p++) {
        const uint8_t *s = in + p * isx;
        uint8_t *d = out + p * osx + c_off;
        for (int i = 0; i < c_in; i++) d[i] = lut[s[i]];
    }
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
