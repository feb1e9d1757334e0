/* Format dispatch and the shared row conversion. */
#include "ic_internal.h"
#include <stdlib.h>
#include <string.h>

struct ic_reader {
    ic_format format;
    void *state;
};

void ic_set_error(ic_error *err, ic_status status, const char *fmt, ...) {
    if (!err) return;
    err->status = status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
}

unsigned ic_sample(const uint8_t *row, size_t i, int bps) {
    switch (bps) {
    case 8: return row[i];
    case 16: return ((const uint16_t *)row)[i];
    default: {
        size_t bit = i * (size_t)bps;
        unsigned byte = row[bit >> 3];
        unsigned shift = 8 - (unsigned)bps - (unsigned)(bit & 7);
        return (byte >> shift) & ((1u << bps) - 1u);
    }
    }
}

void ic_convert_row(const uint8_t *src, float *dst, uint32_t width, int bps, int spp, ic_kind kind,
                    const float *lut) {
    const float scale = 1.0f / (float)((1u << bps) - 1u);
    for (uint32_t x = 0; x < width; x++) {
        size_t i = (size_t)x * (size_t)spp;
        float v;
        switch (kind) {
        case IC_KIND_GRAY: v = (float)ic_sample(src, i, bps) * scale; break;
        case IC_KIND_GRAY_INVERT: v = 1.0f - (float)ic_sample(src, i, bps) * scale; break;
        case IC_KIND_RGB:
            v = (0.299f * (float)ic_sample(src, i, bps) + 0.587f * (float)ic_sample(src, i + 1, bps)
                 + 0.114f * (float)ic_sample(src, i + 2, bps)) * scale;
            break;
        case IC_KIND_PALETTE: v = lut[ic_sample(src, i, bps)]; break;
        default: v = 0; break;
        }
        dst[x] = v < 0.0f ? 0.0f : (v > 1.0f ? 1.0f : v);
    }
}

ic_reader *ic_reader_open(const char *path, ic_format format, ic_output output, uint64_t max_pixels,
                          ic_info *info, ic_error *err) {
    memset(info, 0, sizeof *info);
    if (err) { err->status = IC_OK; err->message[0] = 0; }
    void *state = NULL;
    switch (format) {
    case IC_FORMAT_PNG: state = ic_png_open(path, output, max_pixels, info, err); break;
    case IC_FORMAT_JPEG: state = ic_jpeg_open(path, output, max_pixels, info, err); break;
    case IC_FORMAT_TIFF: state = ic_tiff_open(path, output, max_pixels, info, err); break;
    default: ic_set_error(err, IC_E_UNSUPPORTED, "unknown image format"); return NULL;
    }
    if (!state) return NULL;
    ic_reader *r = calloc(1, sizeof *r);
    if (!r) {
        switch (format) {
        case IC_FORMAT_PNG: ic_png_close(state); break;
        case IC_FORMAT_JPEG: ic_jpeg_close(state); break;
        default: ic_tiff_close(state); break;
        }
        ic_set_error(err, IC_E_NOMEM, "out of memory");
        return NULL;
    }
    r->format = format;
    r->state = state;
    return r;
}

ic_status ic_reader_read_rows(ic_reader *r, void *dst, uint32_t rows, ic_error *err) {
    if (err) { err->status = IC_OK; err->message[0] = 0; }
    switch (r->format) {
    case IC_FORMAT_PNG: return ic_png_read_rows(r->state, dst, rows, err);
    case IC_FORMAT_JPEG: return ic_jpeg_read_rows(r->state, dst, rows, err);
    case IC_FORMAT_TIFF: return ic_tiff_read_rows(r->state, dst, rows, err);
    default: ic_set_error(err, IC_E_UNSUPPORTED, "unknown image format"); return IC_E_UNSUPPORTED;
    }
}

void ic_reader_close(ic_reader *r) {
    if (!r) return;
    switch (r->format) {
    case IC_FORMAT_PNG: ic_png_close(r->state); break;
    case IC_FORMAT_JPEG: ic_jpeg_close(r->state); break;
    case IC_FORMAT_TIFF: ic_tiff_close(r->state); break;
    default: break;
    }
    free(r);
}

void ic_info_free(ic_info *info) {
    if (!info) return;
    free(info->fei_metadata);
    free(info->zeiss_metadata);
    info->fei_metadata = NULL;
    info->zeiss_metadata = NULL;
}
