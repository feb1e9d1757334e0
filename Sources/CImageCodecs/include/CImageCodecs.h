/* C glue for libpng, libjpeg and libtiff (and a small BMP reader of its own): decode/encode with errors returned as a status and text,
 * never longjmp'd through Swift frames. All setjmp/longjmp handling and libtiff error handlers live
 * in this target.
 *
 * Reading is a streaming row reader: ic_reader_open reads the header only (cheap, used by
 * "inspect"), refuses images larger than max_pixels BEFORE allocating anything proportional to the
 * image, and ic_reader_read_rows then decodes the next rows in order (a band of rows at a time). */
#ifndef CIMAGECODECS_H
#define CIMAGECODECS_H
#include <stdint.h>
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif

/** Version string of the linked codec libraries, for diagnostics. */
const char *ic_library_versions(void);

typedef enum { IC_FORMAT_UNKNOWN = 0, IC_FORMAT_TIFF = 1, IC_FORMAT_PNG = 2, IC_FORMAT_JPEG = 3, IC_FORMAT_BMP = 4 } ic_format;

typedef enum {
    IC_OK = 0,
    IC_E_UNREADABLE = 1,  /* cannot open/read the file (permissions, I/O error) */
    IC_E_EMPTY = 2,       /* zero bytes */
    IC_E_TRUNCATED = 3,   /* data ends before the image does */
    IC_E_CORRUPT = 4,     /* malformed data, bad CRC, bad header */
    IC_E_UNSUPPORTED = 5, /* valid file, but a layout we do not decode (e.g. float TIFF, CMYK JPEG) */
    IC_E_TOO_LARGE = 6,   /* width*height exceeds the caller's limit */
    IC_E_NOMEM = 7,
    IC_E_WRITE = 8        /* writing failed */
} ic_status;

typedef enum { IC_COLOR_GRAY = 0, IC_COLOR_GRAY_ALPHA = 1, IC_COLOR_RGB = 2, IC_COLOR_RGBA = 3, IC_COLOR_PALETTE = 4 } ic_color;

/** Units of ic_info.x_resolution (pixels per unit). */
typedef enum { IC_RES_NONE = 0, IC_RES_INCH = 1, IC_RES_CM = 2, IC_RES_METRE = 3 } ic_res_unit;

/** What ic_reader_read_rows writes: gray float in [0,1] (float per pixel; the sample range set by
 *  ic_reader_set_range maps to 0...1, min-is-white inverted, clamped, NaN -> 0), raw 8-bit class ids,
 *  or gray float in the file's own sample units (colour -> luma, palette -> colour-map luma; no
 *  range mapping, no inversion, no clamping: what a caller scans to choose a range). */
typedef enum { IC_OUT_GRAY_F32 = 0, IC_OUT_LABELS_U8 = 1, IC_OUT_GRAY_RAW_F32 = 2 } ic_output;

/** How the file stores a sample (TIFF SampleFormat; PNG and JPEG are always unsigned). */
typedef enum { IC_SAMPLE_UINT = 0, IC_SAMPLE_INT = 1, IC_SAMPLE_FLOAT = 2 } ic_sample_format;

typedef struct {
    ic_format format;
    uint32_t width, height;
    int channels;        /* samples per pixel stored in the file, including alpha (palette: 1) */
    int bit_depth;       /* bits per sample in the file */
    ic_color color;
    int pages;           /* TIFF: number of directories; PNG/JPEG: 1 */
    int interlaced;      /* PNG Adam7 */
    int progressive;     /* JPEG */
    int tiled;           /* TIFF */
    int compression;     /* TIFF compression tag value; 0 otherwise */
    int min_is_white;    /* TIFF photometric 0 */
    double x_resolution; /* pixels per unit, 0 when absent */
    ic_res_unit resolution_unit;
    char *fei_metadata;   /* TIFF tag 34682 text (malloc'd, NUL-terminated) or NULL */
    char *zeiss_metadata; /* TIFF tag 34118 text (malloc'd, NUL-terminated) or NULL */
    ic_sample_format sample_format;
    /* The sample range the storage implies, in raw units: what IC_OUT_GRAY_F32 maps to 0...1 until
     * ic_reader_set_range says otherwise. Unsigned n-bit: 0...2^n-1; signed n-bit: 0...2^(n-1)-1;
     * float: 0...1; palette TIFF: 0...65535 (colour-map units). */
    double value_low, value_high;
    /* TIFF MinSampleValue/MaxSampleValue (SMin/SMaxSampleValue for signed and float samples) when
     * the file declares a range other than value_low...value_high (e.g. 12-bit data in 16 bits). */
    int has_declared_range;
    double declared_low, declared_high;
} ic_info;

typedef struct {
    ic_status status;
    char message[512];
} ic_error;

typedef struct ic_reader ic_reader;

/** Opens `path` (whose format the caller detected from magic bytes) and fills `info` from the header.
 *  Returns NULL on failure with `err` set. Fails with IC_E_TOO_LARGE when width*height > max_pixels. */
ic_reader *ic_reader_open(const char *path, ic_format format, ic_output output, uint64_t max_pixels,
                          ic_info *info, ic_error *err);

/** Decodes the next `rows` rows into `dst` (float[rows*width] or uint8[rows*width]).
 *  After the last row the trailer is verified (PNG IEND/CRC, JPEG EOI). Returns IC_OK or an error. */
ic_status ic_reader_read_rows(ic_reader *reader, void *dst, uint32_t rows, ic_error *err);

/** Sets the raw sample range that IC_OUT_GRAY_F32 maps to 0...1 (before the next rows are read).
 *  Fails with IC_E_UNSUPPORTED unless low < high, both finite. */
ic_status ic_reader_set_range(ic_reader *reader, double low, double high, ic_error *err);

void ic_reader_close(ic_reader *reader);

/** Frees the metadata strings held by `info` (safe on a zeroed struct). */
void ic_info_free(ic_info *info);

/** Writes a PNG. color: IC_COLOR_GRAY (bit_depth 8 or 16, 16-bit samples native-endian uint16),
 *  IC_COLOR_RGB (8-bit interleaved), IC_COLOR_PALETTE (8-bit indices; palette_rgb has
 *  3*palette_count bytes, 1...256 entries). The file is flushed and fsync'd before closing. */
ic_status ic_png_write(const char *path, uint32_t width, uint32_t height, ic_color color, int bit_depth,
                       const void *pixels, const uint8_t *palette_rgb, int palette_count, ic_error *err);

/** Fills `rows` rows starting at row `y` into `dst` (rows × width × channels × bit_depth/8 bytes,
 *  layout as for ic_png_write). Returns 0, or nonzero to abandon the file. */
typedef int (*ic_png_row_source)(void *context, uint32_t y, uint32_t rows, void *dst);

/** ic_png_write with rows produced on demand, `band_rows` at a time (memory: one band, not the
 *  image). A failing source ends with IC_E_WRITE ("the row source failed"); the caller removes the
 *  partial file (PNGWriter writes to a temp file and renames on success). */
ic_status ic_png_write_rows(const char *path, uint32_t width, uint32_t height, ic_color color, int bit_depth,
                            const uint8_t *palette_rgb, int palette_count, uint32_t band_rows,
                            ic_png_row_source source, void *context, ic_error *err);

#ifdef __cplusplus
}
#endif
#endif
