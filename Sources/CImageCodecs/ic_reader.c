/* Format dispatch and the shared row conversion. */
#include "ic_internal.h"
#include <stdlib.h>
#include <string.h>
#include <math.h>

struct ic_reader {
    ic_format format;
    ic_output output;
    void *state;
    int invert;          /* TIFF min-is-white */
    double low, scale;   /* IC_OUT_GRAY_F32: v -> (v - low) * scale */
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

float ic_sample_value(const uint8_t *row, size_t i, int bps, ic_sample_format format) {
    switch (format) {
    case IC_SAMPLE_FLOAT: return bps == 64 ? (float)((const double *)row)[i] : ((const float *)row)[i];
    case IC_SAMPLE_INT:
        return bps == 8 ? (float)((const int8_t *)row)[i] : bps == 16 ? (float)((const int16_t *)row)[i]
                                                                      : (float)((const int32_t *)row)[i];
    default: return bps == 32 ? (float)((const uint32_t *)row)[i] : (float)ic_sample(row, i, bps);
    }
}

void ic_convert_row(const uint8_t *src, float *dst, uint32_t width, int bps, int spp, ic_sample_format format,
                    ic_kind kind, const float *lut) {
    for (uint32_t x = 0; x < width; x++) {
        size_t i = (size_t)x * (size_t)spp;
        switch (kind) {
        case IC_KIND_RGB:
            dst[x] = 0.299f * ic_sample_value(src, i, bps, format) + 0.587f * ic_sample_value(src, i + 1, bps, format)
                   + 0.114f * ic_sample_value(src, i + 2, bps, format);
            break;
        case IC_KIND_PALETTE: dst[x] = lut[ic_sample(src, i, bps)]; break;
        default: dst[x] = ic_sample_value(src, i, bps, format); break; /* gray; min-is-white is ic_reader's */
        }
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
    case IC_FORMAT_BMP: state = ic_bmp_open(path, output, max_pixels, info, err); break;
    default: ic_set_error(err, IC_E_UNSUPPORTED, "unknown image format"); return NULL;
    }
    if (!state) return NULL;
    ic_reader *r = calloc(1, sizeof *r);
    if (!r) {
        switch (format) {
        case IC_FORMAT_PNG: ic_png_close(state); break;
        case IC_FORMAT_JPEG: ic_jpeg_close(state); break;
        case IC_FORMAT_BMP: ic_bmp_close(state); break;
        default: ic_tiff_close(state); break;
        }
        ic_set_error(err, IC_E_NOMEM, "out of memory");
        return NULL;
    }
    r->format = format;
    r->output = output;
    r->state = state;
    r->invert = info->min_is_white;
    if (!(info->value_high > info->value_low)) { info->value_low = 0; info->value_high = 1; }
    r->low = info->value_low;
    r->scale = 1.0 / (info->value_high - info->value_low);
    return r;
}

ic_status ic_reader_set_range(ic_reader *r, double low, double high, ic_error *err) {
    if (err) { err->status = IC_OK; err->message[0] = 0; }
    if (!(isfinite(low) && isfinite(high) && high > low)) {
        ic_set_error(err, IC_E_UNSUPPORTED, "intensity range %g...%g is empty or not finite", low, high);
        return IC_E_UNSUPPORTED;
    }
    r->low = low;
    r->scale = 1.0 / (high - low);
    return IC_OK;
}

/* Raw sample units -> [0,1]: the range, min-is-white inversion, clamping (NaN -> 0). */
static void map_rows(const ic_reader *r, float *v, size_t n) {
    const float low = (float)r->low, scale = (float)r->scale;
    for (size_t i = 0; i < n; i++) {
        float t = (v[i] - low) * scale;
        if (r->invert) t = 1.0f - t;
        v[i] = t >= 0.0f ? (t <= 1.0f ? t : 1.0f) : 0.0f;
    }
}

ic_status ic_reader_read_rows(ic_reader *r, void *dst, uint32_t rows, ic_error *err) {
    if (err) { err->status = IC_OK; err->message[0] = 0; }
    ic_status st;
    switch (r->format) {
    case IC_FORMAT_PNG: st = ic_png_read_rows(r->state, dst, rows, err); break;
    case IC_FORMAT_JPEG: st = ic_jpeg_read_rows(r->state, dst, rows, err); break;
    case IC_FORMAT_TIFF: st = ic_tiff_read_rows(r->state, dst, rows, err); break;
    case IC_FORMAT_BMP: st = ic_bmp_read_rows(r->state, dst, rows, err); break;
    default: ic_set_error(err, IC_E_UNSUPPORTED, "unknown image format"); return IC_E_UNSUPPORTED;
    }
    if (st != IC_OK || r->output != IC_OUT_GRAY_F32) return st;
    uint32_t width = 0;
    switch (r->format) {
    case IC_FORMAT_PNG: width = ic_png_width(r->state); break;
    case IC_FORMAT_JPEG: width = ic_jpeg_width(r->state); break;
    case IC_FORMAT_BMP: width = ic_bmp_width(r->state); break;
    default: width = ic_tiff_width(r->state); break;
    }
    map_rows(r, dst, (size_t)rows * width);
    return IC_OK;
}

void ic_reader_close(ic_reader *r) {
    if (!r) return;
    switch (r->format) {
    case IC_FORMAT_PNG: ic_png_close(r->state); break;
    case IC_FORMAT_JPEG: ic_jpeg_close(r->state); break;
    case IC_FORMAT_TIFF: ic_tiff_close(r->state); break;
    case IC_FORMAT_BMP: ic_bmp_close(r->state); break;
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
