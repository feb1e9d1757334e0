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

/** Converts one decoded row to gray float in [0,1]. `src` holds `width` pixels of `spp` samples of
 *  `bps` bits (1/2/4 packed MSB-first, 8, or 16 native-endian). RGB uses Rec.601 weights;
 *  palette uses `lut` (gray value per index). */
void ic_convert_row(const uint8_t *src, float *dst, uint32_t width, int bps, int spp, ic_kind kind,
                    const float *lut);

/** Sample `i` (0-based, counting samples not pixels) of a packed row. */
unsigned ic_sample(const uint8_t *row, size_t i, int bps);

/* Per-format implementations behind ic_reader. */
typedef struct ic_png_state ic_png_state;
typedef struct ic_jpeg_state ic_jpeg_state;
typedef struct ic_tiff_state ic_tiff_state;

ic_png_state *ic_png_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_png_read_rows(ic_png_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_png_close(ic_png_state *s);

ic_jpeg_state *ic_jpeg_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_jpeg_read_rows(ic_jpeg_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_jpeg_close(ic_jpeg_state *s);

ic_tiff_state *ic_tiff_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err);
ic_status ic_tiff_read_rows(ic_tiff_state *s, void *dst, uint32_t rows, ic_error *err);
void ic_tiff_close(ic_tiff_state *s);

#endif
