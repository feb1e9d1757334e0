/* Private to the int8 kernels: the packed-weight struct, the per-call conv context and the
 * per-tier row functions the dispatcher calls. Not part of the public API. */
#ifndef QK_INT8_INTERNAL_H
#define QK_INT8_INTERNAL_H
#include "qk_int8.h"
#include <stddef.h>
#include <stdint.h>

/* Packed weights. Blocked layout shared by the VNNI tiers and AMX:
 *   blk[cout_pad/16][kh][kw][cpad/4][16 oc][4 ic]  (int8, zero in padded oc/ic)
 * with cpad = cin rounded up to 4 (VNNI) and, for AMX, cpad_amx = cpad if cpad <= 64 else cin
 * rounded up to 64 (one AMX K-chunk is 64 bytes). The AVX2 tier uses 16-bit pairs:
 *   blk16[cout_pad/16][kh][kw][cpad/2][16 oc][2 ic]  (int16). */
struct qk_packed_weights {
    int cout, kh, kw, cin;
    int cout_pad;      /* cout rounded up to 16 */
    int cpad;          /* cin rounded up to 4 */
    int cpad_amx;      /* see above */
    int8_t *w;         /* copy of the canonical [cout][kh][kw][cin] weights (reference) */
    /* The tier layouts below are built on a tier's first use (qk_int8_prepare_layout); NULL before. */
    int8_t *blk;       /* VNNI layout with cpad */
    int8_t *blk_amx;   /* AMX layout with cpad_amx (== blk when cpad_amx == cpad) */
    int16_t *blk16;    /* AVX2 layout */
    int32_t *wsum;     /* [cout] sum of weights per output channel */
    /* For few input channels (the stem): the same weights folded along kw, i.e. a KH x 1 conv over
     * kw*cin channels w'[o][ky][0][kx*cin + c] = w[o][ky][kx][c], so the VNNI/AMX K padding is paid
     * once per kernel row instead of once per tap. NULL when folding would not save work. */
    struct qk_packed_weights *fold;
};

/* Everything a tier's row function needs for one conv call. */
typedef struct {
    const qk_conv_params *p;
    const qk_packed_weights *pw;
    const qk_packed_weights *pwk; /* weights the fast kernels use: pw, or pw->fold */
    int kw, sw;               /* kernel width / stride the fast kernels see (1, 1 when folded) */
    int fold;                 /* rows are built folded: row[ox][kx*cin + c] */
    const uint8_t *in;
    const int32_t *bias;      /* [cout] user bias or NULL (reference) */
    const int32_t *beff;      /* [cout_pad] bias - in_zp * wsum (u8 out) or -in_zp*wsum (f32 out) */
    const float *mult;        /* [cout_pad] out_mult or out_scale, zero padded */
    const float *fbias;       /* [cout_pad] float bias (f32 out), zero padded */
    const uint8_t *res;       /* residual or NULL */
    uint8_t *out;             /* u8 output, or NULL */
    float *outf;              /* float output, or NULL */
    int oh, ow, dil;
    int isx, osx, rsx;        /* pixel strides */
    size_t irs, rrs;          /* input and residual row strides (u8 elements) */
    int cpad;                 /* channels per pixel in the row buffers */
    int rowlen;               /* pixels per row buffer (covers ow rounded up to 32 plus halo) */
    int *status;              /* set to a qk_status error by a thread that fails */
} qk_conv_ctx;

/* Padded input rows, cached per thread: each input row is padded (and, for folded convs,
 * expanded) once and reused by every output row that reads it. Slot = input row mod nslots with
 * nslots >= (KH-1)*dilation + 1, so the KH rows of one output row never collide.
 * Unfolded: row[x*cpad + c] = in[n][iy][x - pad_left][c], or in_zp outside the image.
 * Folded:   row[ox*cpad + kx*cin + c] = in[n][iy][ox*stride_w - pad_left + kx*dil][c] (or in_zp).
 * Channels cin..cpad-1 hold unspecified bytes: their packed weights are zero. */
typedef struct {
    uint8_t *buf;        /* nslots rows of rowbytes */
    uint8_t *scratch;    /* one plain padded row (folded convs) */
    size_t rowbytes;
    int nslots;
    long *key;           /* n * (h + 1) + iy held by each slot, -1 = empty */
} qk_rowcache;

int qk_rowcache_init(qk_rowcache *rc, const qk_conv_ctx *cx);  /* 0 or QK_ERR_NOMEM */
void qk_rowcache_free(qk_rowcache *rc);
/* Points rows[ky] (ky < KH) at the padded input rows of output row oy of image n. */
void qk_rowcache_get(const qk_conv_ctx *cx, qk_rowcache *rc, int n, int oy, uint8_t **rows);

/* A tier computes output rows [y0, y1) of the flattened (n*oh) row range on one thread. */
typedef void (*qk_int8_rows_fn)(const qk_conv_ctx *cx, int y0, int y1);

void qk_int8_rows_ref(const qk_conv_ctx *cx, int y0, int y1);
void qk_int8_rows_avx2(const qk_conv_ctx *cx, int y0, int y1);
void qk_int8_rows_avxvnni(const qk_conv_ctx *cx, int y0, int y1);
void qk_int8_rows_avx512vnni(const qk_conv_ctx *cx, int y0, int y1);
void qk_int8_rows_amx(const qk_conv_ctx *cx, int y0, int y1);
/* Requests the AMX tile-data permission from the kernel once per process (1 = granted). */
int qk_amx_enable(void);

/* The scalar output stage (the definition every tier must match bit for bit). */
static inline uint8_t qk_requant_u8(int32_t acc_plus_bias, float mult, int has_res, int r,
                                    int res_zp, float res_mult, int out_zp, int relu) {
#pragma STDC FP_CONTRACT OFF
    float v = (float)acc_plus_bias * mult;
    if (has_res) {
        float rv = (float)(r - res_zp) * res_mult;
        v = v + rv;
    }
    v = v + (float)out_zp;
    float lo = relu ? (float)out_zp : 0.0f;
    v = v < lo ? lo : v;
    v = v > 255.0f ? 255.0f : v;
    return (uint8_t)(int)__builtin_nearbyintf(v);
}

static inline int qk_round_up(int x, int m) { return (x + m - 1) / m * m; }

 /* Builds `tier`'s weight layout (and the folded twin's) if it does not exist yet; thread-safe.
 * Returns QK_OK or QK_ERR_NOMEM. The packed struct is logically const: layouts are caches. */
int qk_int8_prepare_layout(const qk_packed_weights *pw, int tier);

/* qk_u8_lut.c: qk_u8_lut_apply(..., QK_LUT_AUTO) over pixels [p0, p1) (the requantize's split body). */
void qk_u8_lut_pixels(const uint8_t *lut, const uint8_t *in, size_t isx, uint8_t *out, size_t osx,
                      size_t c, long p0, long p1);

#endif
