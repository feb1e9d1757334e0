/* BMP reading (Windows bitmaps, as some SEM software saves them). No library: the format is two
 * headers, an optional colour table and rows. Read: uncompressed 1/4/8-bit palette, 16-bit (5-5-5 or
 * bit fields), 24-bit and 32-bit (plain or bit fields), bottom-up or top-down; header variants
 * BITMAPCOREHEADER (12 bytes) and BITMAPINFOHEADER and its V2...V5 extensions (40...124 bytes).
 * RLE8 and RLE4 (ImageMagick writes RLE8 for gray bitmaps) are decoded whole into one byte per pixel
 * on the first read, since their rows cannot be found without decoding everything before them.
 * Refused: embedded JPEG/PNG, and any use as a label mask. Uncompressed files hold one row in
 * memory; a bottom-up file is read with one seek per row (it stores the image's last row first).
 * Samples are delivered in 8-bit units (0...255); 16-bit and bit-field channels are scaled to that. */
#include "ic_internal.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct ic_bmp_state {
    FILE *fp;
    uint32_t width, height, next_row;
    int bpp;
    int top_down;
    uint64_t data_offset;
    size_t stride;           /* bytes per stored row (padded to 4) */
    uint8_t *row;
    uint32_t compression;    /* 0 none, 1 RLE8, 2 RLE4, 3/6 bit fields */
    uint64_t data_size;      /* bytes from data_offset to the end of the file */
    uint8_t *indices;        /* RLE: width x height palette indices, image row order (top first) */
    int palette_entries;
    float lut[256];          /* palette luma, 0...255 */
    uint32_t mask[3];        /* 16/32-bit: R, G, B bit masks */
    int shift[3], bits[3];
};

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

void ic_bmp_close(ic_bmp_state *s) {
    if (!s) return;
    if (s->fp) fclose(s->fp);
    free(s->row);
    free(s->indices);
    free(s);
}

static ic_bmp_state *fail(ic_bmp_state *s, ic_error *err, ic_status status, const char *why) {
    ic_set_error(err, status, "%s", why);
    ic_bmp_close(s);
    return NULL;
}

/* Position and width of a contiguous bit mask; 0 bits for an empty or non-contiguous one. */
static void mask_layout(uint32_t m, int *shift, int *bits) {
    *shift = 0;
    *bits = 0;
    if (!m) return;
    while (!(m & 1u)) { m >>= 1; (*shift)++; }
    while (m & 1u) { m >>= 1; (*bits)++; }
    if (m) *bits = 0; /* holes */
}

ic_bmp_state *ic_bmp_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err) {
    if (output == IC_OUT_LABELS_U8) {
        ic_set_error(err, IC_E_UNSUPPORTED, "a label mask must be a PNG or TIFF, not a BMP");
        return NULL;
    }
    ic_bmp_state *s = calloc(1, sizeof *s);
    if (!s) { ic_set_error(err, IC_E_NOMEM, "out of memory"); return NULL; }
    s->fp = fopen(path, "rb");
    if (!s->fp) { ic_set_error(err, IC_E_UNREADABLE, "cannot open: %s", strerror(errno)); free(s); return NULL; }
    struct stat st;
    if (fstat(fileno(s->fp), &st) != 0) return fail(s, err, IC_E_UNREADABLE, "cannot stat the file");
    uint64_t file_size = (uint64_t)st.st_size;

    uint8_t h[14 + 124];
    if (fread(h, 1, 18, s->fp) != 18) return fail(s, err, IC_E_TRUNCATED, "BMP header ends early");
    if (h[0] != 'B' || h[1] != 'M') return fail(s, err, IC_E_CORRUPT, "not a BMP (no 'BM' signature)");
    s->data_offset = le32(h + 10);
    uint32_t dib = le32(h + 14);
    if (!(dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 64 || dib == 108 || dib == 124)) {
        ic_set_error(err, IC_E_CORRUPT, "BMP info header of %u bytes is not a known variant", dib);
        ic_bmp_close(s);
        return NULL;
    }
    if (fread(h + 18, 1, dib - 4, s->fp) != dib - 4) return fail(s, err, IC_E_TRUNCATED, "BMP info header ends early");
    int32_t w, hh;
    uint32_t compression = 0, colors_used = 0;
    int planes;
    if (dib == 12) {
        w = le16(h + 18);
        hh = (int16_t)le16(h + 20);
        planes = le16(h + 22);
        s->bpp = le16(h + 24);
    } else {
        w = (int32_t)le32(h + 18);
        hh = (int32_t)le32(h + 22);
        planes = le16(h + 26);
        s->bpp = le16(h + 28);
        compression = le32(h + 30);
        colors_used = le32(h + 46);
    }
    info->format = IC_FORMAT_BMP;
    info->pages = 1;
    info->sample_format = IC_SAMPLE_UINT;
    info->value_low = 0;
    info->value_high = 255;
    if (w <= 0 || hh == 0 || hh == INT32_MIN) {
        ic_set_error(err, IC_E_CORRUPT, "BMP header gives a size of %dx%d", w, hh);
        ic_bmp_close(s);
        return NULL;
    }
    s->top_down = hh < 0;
    s->width = (uint32_t)w;
    s->height = (uint32_t)(hh < 0 ? -hh : hh);
    info->width = s->width;
    info->height = s->height;
    if ((uint64_t)s->width * s->height > max_pixels) {
        ic_set_error(err, IC_E_TOO_LARGE, "%ux%u pixels exceeds the limit of %llu pixels", s->width, s->height,
                     (unsigned long long)max_pixels);
        ic_bmp_close(s);
        return NULL;
    }
    if (planes != 1) return fail(s, err, IC_E_CORRUPT, "BMP planes field is not 1");
    switch (compression) {
    case 0: break;
    case 3: case 6: /* BI_BITFIELDS, BI_ALPHABITFIELDS */
        if (s->bpp != 16 && s->bpp != 32) return fail(s, err, IC_E_CORRUPT, "BMP bit fields need 16 or 32 bits per pixel");
        break;
    case 1:
        if (s->bpp != 8) return fail(s, err, IC_E_CORRUPT, "RLE8 BMP must have 8 bits per pixel");
        break;
    case 2:
        if (s->bpp != 4) return fail(s, err, IC_E_CORRUPT, "RLE4 BMP must have 4 bits per pixel");
        break;
    case 4: return fail(s, err, IC_E_UNSUPPORTED, "BMP holding a JPEG is not supported");
    case 5: return fail(s, err, IC_E_UNSUPPORTED, "BMP holding a PNG is not supported");
    default:
        ic_set_error(err, IC_E_UNSUPPORTED, "BMP compression %u is not supported", compression);
        ic_bmp_close(s);
        return NULL;
    }
    if (!(s->bpp == 1 || s->bpp == 4 || s->bpp == 8 || s->bpp == 16 || s->bpp == 24 || s->bpp == 32)) {
        ic_set_error(err, IC_E_UNSUPPORTED, "%d bits per pixel is not supported (1, 4, 8, 16, 24, 32 are)", s->bpp);
        ic_bmp_close(s);
        return NULL;
    }
    if (s->bpp <= 8) {
        if (colors_used > (1u << s->bpp)) return fail(s, err, IC_E_CORRUPT, "BMP colour table larger than its bit depth allows");
        int n = colors_used ? (int)colors_used : 1 << s->bpp; /* 1...256 */
        int entry = dib == 12 ? 3 : 4;
        uint8_t table[256 * 4];
        if (fread(table, (size_t)entry, (size_t)n, s->fp) != (size_t)n) return fail(s, err, IC_E_TRUNCATED, "BMP colour table ends early");
        for (int i = 0; i < 256; i++) s->lut[i] = 0; /* indices past the table read as black */
        for (int i = 0; i < n; i++) {
            const uint8_t *e = table + (size_t)i * entry; /* B, G, R(, reserved) */
            s->lut[i] = 0.299f * e[2] + 0.587f * e[1] + 0.114f * e[0];
        }
        s->palette_entries = n;
        info->color = IC_COLOR_PALETTE;
        info->channels = 1;
        info->bit_depth = s->bpp;
    } else {
        if (compression == 3 || compression == 6) {
            uint8_t m[12];
            if (dib >= 52) memcpy(m, h + 54, 12); /* masks inside the V2+ header */
            else if (fread(m, 1, 12, s->fp) != 12) return fail(s, err, IC_E_TRUNCATED, "BMP bit masks end early");
            for (int c = 0; c < 3; c++) s->mask[c] = le32(m + 4 * c);
        } else if (s->bpp == 16) {
            s->mask[0] = 0x7C00; s->mask[1] = 0x03E0; s->mask[2] = 0x001F; /* 5-5-5 */
        } else {
            s->mask[0] = 0xFF0000; s->mask[1] = 0x00FF00; s->mask[2] = 0x0000FF;
        }
        for (int c = 0; c < 3; c++) {
            mask_layout(s->mask[c], &s->shift[c], &s->bits[c]);
            if (s->bits[c] == 0 || s->bits[c] > 16) return fail(s, err, IC_E_CORRUPT, "BMP colour bit mask is empty or not contiguous");
        }
        info->color = IC_COLOR_RGB;
        info->channels = s->bpp == 32 ? 4 : 3;
        info->bit_depth = s->bpp == 16 ? s->bits[1] : 8;
    }
    s->stride = (((size_t)s->width * (size_t)s->bpp + 31) / 32) * 4;
    if (s->data_offset < 14u + dib || s->data_offset > file_size) return fail(s, err, IC_E_CORRUPT, "BMP pixel data offset is outside the file");
    s->compression = compression;
    s->data_size = file_size - s->data_offset;
    s->row = malloc(s->stride);
    if (!s->row) return fail(s, err, IC_E_NOMEM, "out of memory for a BMP row");
    return s;
}

/* Decodes the whole RLE8/RLE4 stream into s->indices (top row first). Pixels a delta or an early
 * end of line skips stay index 0. Data ending before the end-of-bitmap code is truncation. */
static ic_status decode_rle(ic_bmp_state *s, ic_error *err) {
    size_t w = s->width, h = s->height;
    s->indices = calloc(w * h, 1);
    uint8_t *data = malloc(s->data_size ? (size_t)s->data_size : 1);
    if (!s->indices || !data) { free(data); ic_set_error(err, IC_E_NOMEM, "out of memory for an RLE bitmap"); return IC_E_NOMEM; }
    if (fseeko(s->fp, (off_t)s->data_offset, SEEK_SET) != 0 || fread(data, 1, (size_t)s->data_size, s->fp) != s->data_size) {
        free(data);
        ic_set_error(err, IC_E_UNREADABLE, "cannot read the RLE data");
        return IC_E_UNREADABLE;
    }
    const int four = s->compression == 2;
    size_t n = (size_t)s->data_size, i = 0, x = 0, line = 0; /* line counts stored rows (bottom first unless top-down) */
    ic_status st = IC_E_TRUNCATED;
    #define PUT(v) do { if (x < w && line < h) s->indices[(s->top_down ? line : h - 1 - line) * w + x] = (uint8_t)(v); x++; } while (0)
    while (i + 1 < n) {
        uint8_t count = data[i], value = data[i + 1];
        i += 2;
        if (count > 0) {
            for (unsigned k = 0; k < count; k++) PUT(four ? (k & 1 ? value & 0x0F : value >> 4) : value);
        } else if (value == 0) {            /* end of line */
            x = 0;
            line++;
        } else if (value == 1) {            /* end of bitmap */
            st = IC_OK;
            break;
        } else if (value == 2) {            /* delta: dx right, dy down (in stored order) */
            if (i + 1 >= n) break;
            x += data[i];
            line += data[i + 1];
            i += 2;
        } else {                            /* absolute run of `value` pixels, padded to 16 bits */
            size_t bytes = four ? ((size_t)value + 1) / 2 : value;
            if (i + bytes > n) break;
            for (unsigned k = 0; k < value; k++) PUT(four ? (k & 1 ? data[i + k / 2] & 0x0F : data[i + k / 2] >> 4) : data[i + k]);
            i += bytes + (bytes & 1);
        }
    }
    #undef PUT
    free(data);
    if (st != IC_OK) ic_set_error(err, IC_E_TRUNCATED, "RLE data ends before its end-of-bitmap code");
    return st;
}

ic_status ic_bmp_read_rows(ic_bmp_state *s, void *dst, uint32_t rows, ic_error *err) {
    if (rows > s->height - s->next_row) {
        ic_set_error(err, IC_E_CORRUPT, "read past the last row");
        return IC_E_CORRUPT;
    }
    if ((s->compression == 1 || s->compression == 2) && !s->indices) {
        ic_status st = decode_rle(s, err);
        if (st != IC_OK) return st;
    }
    for (uint32_t i = 0; i < rows; i++) {
        uint32_t y = s->next_row;
        if (s->indices) {
            float *out = (float *)dst + (size_t)i * s->width;
            const uint8_t *r = s->indices + (size_t)y * s->width;
            for (uint32_t x = 0; x < s->width; x++) out[x] = s->lut[r[x]];
            s->next_row++;
            continue;
        }
        uint64_t stored = s->top_down ? y : s->height - 1 - y;
        if (fseeko(s->fp, (off_t)(s->data_offset + stored * s->stride), SEEK_SET) != 0
            || fread(s->row, 1, s->stride, s->fp) != s->stride) {
            if (ferror(s->fp)) {
                ic_set_error(err, IC_E_UNREADABLE, "read error at image row %u: %s", y, strerror(errno));
                return IC_E_UNREADABLE;
            }
            ic_set_error(err, IC_E_TRUNCATED, "BMP pixel data ends before image row %u", y);
            return IC_E_TRUNCATED;
        }
        float *out = (float *)dst + (size_t)i * s->width;
        const uint8_t *r = s->row;
        if (s->bpp <= 8) {
            for (uint32_t x = 0; x < s->width; x++) out[x] = s->lut[ic_sample(r, x, s->bpp)];
        } else if (s->bpp == 24 && s->mask[2] == 0xFF) {
            for (uint32_t x = 0; x < s->width; x++) out[x] = 0.299f * r[3 * x + 2] + 0.587f * r[3 * x + 1] + 0.114f * r[3 * x];
        } else {
            int bytes = s->bpp / 8;
            float scale[3];
            for (int c = 0; c < 3; c++) scale[c] = 255.0f / (float)((1u << s->bits[c]) - 1u);
            for (uint32_t x = 0; x < s->width; x++) {
                const uint8_t *p = r + (size_t)x * bytes;
                uint32_t v = bytes == 2 ? le16(p) : bytes == 3 ? (uint32_t)p[0] | p[1] << 8 | p[2] << 16 : le32(p);
                float ch[3];
                for (int c = 0; c < 3; c++) ch[c] = (float)((v & s->mask[c]) >> s->shift[c]) * scale[c];
                out[x] = 0.299f * ch[0] + 0.587f * ch[1] + 0.114f * ch[2];
            }
        }
        s->next_row++;
    }
    return IC_OK;
}

uint32_t ic_bmp_width(const ic_bmp_state *s) { return s->width; }
