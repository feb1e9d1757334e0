/* Shared internals of the codec glue (not a public header). */
#ifndef IC_INTERNAL_H
#define IC_INTERNAL_H
#include "CImageCodecs.h"
#include <stdarg.h>
#include <stdio.h>

/** How ic_convert_row maps samples to gray. */
typedef enum { IC_KIND_GRAY, IC_KIND_GRAY_INVERT, IC_KIND_RGB, IC_KIND_PALETTE } ic_kind;

void ic_set_error(ic_error *err, ic_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Converts one decoded row to gray float in raw sample units (no scaling, inversion or clamping:
 *  ic_reader maps the range afterwards). `src` holds `width` pixels of `spp` samples of `bps` bits
 *  in `format` (unsigned 1/2/4 packed MSB-first, 8, 16, 32; signed 8/16/32; float 32/64; all
 *  native-endian). RGB uses Rec.601 weights; palette uses `lut` (gray value per index). */
void ic_convert_row(const uint8_t *src, float *dst, uint32_t width, int bps, int spp, ic_sample_format format,
                    ic_kind kind, const float *lut);

/** Unsigned sample `i` (0-based, counting samples not pixels) of a packed row (1...16 bits). */
unsigned ic_sample(const uint8_t *row, size_t i, int bps);

/** Sample `i` of a row in any supported storage, as float. */
float ic_sample_value(const uint8_t *row, size_t i, int bps, ic_sample_format format);

/* Per-format implementations behind ic_reader. */
typedef struct ic_png_state ic_png_state;
typedef struct ic_jpeg_state ic_jpeg_state;
typedef struct ic_tiff_state ic_tiff_state;
typedef struct ic_bmp_state ic_bmp_state;

ic_png_state *ic_png_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_png_read_rows(ic_png_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_png_close(ic_png_state *s);
uint32_t ic_png_width(const ic_png_state *s);

ic_jpeg_state *ic_jpeg_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_jpeg_read_rows(ic_jpeg_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_jpeg_close(ic_jpeg_state *s);
uint32_t ic_jpeg_width(const ic_jpeg_state *s);

ic_tiff_state *ic_tiff_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_tiff_read_rows(ic_tiff_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_tiff_close(ic_tiff_state *s);
uint32_t ic_tiff_width(const ic_tiff_state *s);

ic_bmp_state *ic_bmp_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_bmp_read_rows(ic_bmp_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_bmp_close(ic_bmp_state *s);
uint32_t ic_bmp_width(const ic_bmp_state *s);

#endif
