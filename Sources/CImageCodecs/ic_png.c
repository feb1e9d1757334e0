/* PNG reading and writing via libpng. libpng reports errors by longjmp: every entry point that calls
 * into libpng sets its own setjmp here, so no longjmp ever crosses a Swift frame. */
#include "ic_internal.h"
#include <png.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ic_png_state {
    FILE *fp;
    png_structp png;
    png_infop info;
    ic_output output;
    uint32_t width, height, next_row;
    int out_bps, out_channels;
    ic_kind kind;
    size_t rowbytes;
    uint8_t *row;       /* one transformed row (non-interlaced) */
    uint8_t *image;     /* whole transformed image (interlaced only, allocated on first read) */
    int interlaced;
    int eof;            /* the read callback hit end of file */
    char message[400];  /* libpng's error text */
};

static void png_err_fn(png_structp png, png_const_charp msg) {
    ic_png_state *s = png_get_error_ptr(png);
    snprintf(s->message, sizeof s->message, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn_fn(png_structp png, png_const_charp msg) { (void)png; (void)msg; }

static void png_read_fn(png_structp png, png_bytep data, size_t length) {
    ic_png_state *s = png_get_io_ptr(png);
    size_t n = fread(data, 1, length, s->fp);
    if (n != length) {
        if (ferror(s->fp)) png_error(png, "I/O error while reading");
        s->eof = 1;
        png_error(png, "unexpected end of file");
    }
}

static ic_status png_fail(ic_png_state *s, ic_error *err, const char *stage) {
    if (s->eof) ic_set_error(err, IC_E_TRUNCATED, "PNG data ends early (%s)", stage);
    else if (strstr(s->message, "Out of memory") || strstr(s->message, "out of memory"))
        ic_set_error(err, IC_E_NOMEM, "out of memory (%s)", stage);
    else ic_set_error(err, IC_E_CORRUPT, "corrupt PNG (%s): %s", stage, s->message);
    return err ? err->status : IC_E_CORRUPT;
}

void ic_png_close(ic_png_state *s) {
    if (!s) return;
    if (s->png) png_destroy_read_struct(&s->png, s->info ? &s->info : NULL, NULL);
    if (s->fp) fclose(s->fp);
    free(s->row);
    free(s->image);
    free(s);
}

ic_png_state *ic_png_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err) {
    ic_png_state *s = calloc(1, sizeof *s);
    if (!s) { ic_set_error(err, IC_E_NOMEM, "out of memory"); return NULL; }
    s->output = output;
    s->fp = fopen(path, "rb");
    if (!s->fp) { ic_set_error(err, IC_E_UNREADABLE, "cannot open: %s", strerror(errno)); free(s); return NULL; }
    s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, png_err_fn, png_warn_fn);
    if (!s->png || !(s->info = png_create_info_struct(s->png))) {
        ic_set_error(err, IC_E_NOMEM, "cannot create libpng reader");
        ic_png_close(s);
        return NULL;
    }
    if (setjmp(png_jmpbuf(s->png))) {
        png_fail(s, err, "header");
        ic_png_close(s);
        return NULL;
    }
    png_set_read_fn(s->png, s, png_read_fn);
    png_set_crc_action(s->png, PNG_CRC_ERROR_QUIT, PNG_CRC_ERROR_QUIT);
    png_read_info(s->png, s->info);

    png_uint_32 w, h;
    int bit_depth, color_type, interlace;
    png_get_IHDR(s->png, s->info, &w, &h, &bit_depth, &color_type, &interlace, NULL, NULL);
    info->format = IC_FORMAT_PNG;
    info->width = w;
    info->height = h;
    info->bit_depth = bit_depth;
    info->pages = 1;
    info->interlaced = interlace != PNG_INTERLACE_NONE;
    switch (color_type) {
    case PNG_COLOR_TYPE_GRAY: info->color = IC_COLOR_GRAY; info->channels = 1; break;
    case PNG_COLOR_TYPE_GRAY_ALPHA: info->color = IC_COLOR_GRAY_ALPHA; info->channels = 2; break;
    case PNG_COLOR_TYPE_RGB: info->color = IC_COLOR_RGB; info->channels = 3; break;
    case PNG_COLOR_TYPE_RGB_ALPHA: info->color = IC_COLOR_RGBA; info->channels = 4; break;
    case PNG_COLOR_TYPE_PALETTE: info->color = IC_COLOR_PALETTE; info->channels = 1; break;
    default: break;
    }
    png_uint_32 rx, ry;
    int unit;
    if (png_get_pHYs(s->png, s->info, &rx, &ry, &unit) && unit == PNG_RESOLUTION_METER && rx > 0) {
        info->x_resolution = (double)rx;
        info->resolution_unit = IC_RES_METRE;
    }
    if (w == 0 || h == 0) {
        ic_set_error(err, IC_E_CORRUPT, "PNG header gives a zero size (%ux%u)", (unsigned)w, (unsigned)h);
        ic_png_close(s);
        return NULL;
    }
    if ((uint64_t)w * (uint64_t)h > max_pixels) {
        ic_set_error(err, IC_E_TOO_LARGE, "%ux%u pixels exceeds the limit of %llu pixels", (unsigned)w,
                     (unsigned)h, (unsigned long long)max_pixels);
        ic_png_close(s);
        return NULL;
    }
    s->width = w;
    s->height = h;
    s->interlaced = info->interlaced;

    if (output == IC_OUT_LABELS_U8) {
        if (!(color_type == PNG_COLOR_TYPE_PALETTE || (color_type == PNG_COLOR_TYPE_GRAY && bit_depth <= 8))) {
            ic_set_error(err, IC_E_UNSUPPORTED,
                         "a label mask must be an 8-bit gray or palette PNG whose values are class ids "
                         "(this one is %s, %d-bit)",
                         color_type == PNG_COLOR_TYPE_GRAY ? "gray" : color_type == PNG_COLOR_TYPE_RGB ? "RGB"
                         : color_type == PNG_COLOR_TYPE_RGB_ALPHA ? "RGBA" : "gray+alpha", bit_depth);
            ic_png_close(s);
            return NULL;
        }
        if (bit_depth < 8) png_set_packing(s->png); /* one byte per index, values unscaled */
        s->out_bps = 8;
        s->out_channels = 1;
    } else {
        if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(s->png);
        if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(s->png);
        png_set_strip_alpha(s->png); /* alpha (and tRNS) is ignored */
        if (bit_depth == 16) png_set_swap(s->png); /* native-endian uint16 on little-endian hosts */
    }
    if (s->interlaced) png_set_interlace_handling(s->png);
    png_read_update_info(s->png, s->info);
    s->rowbytes = png_get_rowbytes(s->png, s->info);
    if (output != IC_OUT_LABELS_U8) {
        s->out_bps = png_get_bit_depth(s->png, s->info);
        info->value_low = 0;
        info->value_high = (double)((1u << s->out_bps) - 1u);
        s->out_channels = png_get_channels(s->png, s->info);
        s->kind = s->out_channels >= 3 ? IC_KIND_RGB : IC_KIND_GRAY;
    }
    s->row = malloc(s->rowbytes);
    if (!s->row) { ic_set_error(err, IC_E_NOMEM, "out of memory"); ic_png_close(s); return NULL; }
    return s;
}

static void emit_row(ic_png_state *s, const uint8_t *src, void *dst, uint32_t i) {
    if (s->output == IC_OUT_LABELS_U8) memcpy((uint8_t *)dst + (size_t)i * s->width, src, s->width);
    else ic_convert_row(src, (float *)dst + (size_t)i * s->width, s->width, s->out_bps, s->out_channels, IC_SAMPLE_UINT, s->kind, NULL);
}

ic_status ic_png_read_rows(ic_png_state *s, void *dst, uint32_t rows, ic_error *err) {
    if (rows > s->height - s->next_row) {
        ic_set_error(err, IC_E_CORRUPT, "read past the last row");
        return IC_E_CORRUPT;
    }
    if (setjmp(png_jmpbuf(s->png))) return png_fail(s, err, "image data");
    if (s->interlaced) {
        if (!s->image) {
            /* Adam7 needs the whole image before any row is final. */
            s->image = malloc(s->rowbytes * s->height);
            if (!s->image) { ic_set_error(err, IC_E_NOMEM, "out of memory"); return IC_E_NOMEM; }
            png_bytep *ptrs = malloc(sizeof(png_bytep) * s->height);
            if (!ptrs) { ic_set_error(err, IC_E_NOMEM, "out of memory"); return IC_E_NOMEM; }
            for (uint32_t y = 0; y < s->height; y++) ptrs[y] = s->image + (size_t)y * s->rowbytes;
            /* ptrs leaks if libpng longjmps; keep it in the state instead. */
            free(s->row);
            s->row = (uint8_t *)ptrs;
            png_read_image(s->png, ptrs);
            png_read_end(s->png, NULL);
        }
        for (uint32_t i = 0; i < rows; i++) emit_row(s, s->image + (size_t)(s->next_row + i) * s->rowbytes, dst, i);
        s->next_row += rows;
        return IC_OK;
    }
    for (uint32_t i = 0; i < rows; i++) {
        png_read_row(s->png, s->row, NULL);
        emit_row(s, s->row, dst, i);
        s->next_row++;
    }
    if (s->next_row == s->height) png_read_end(s->png, NULL); /* checks the trailing chunks and IEND */
    return IC_OK;
}

/* Source for ic_png_write: copies rows out of one contiguous buffer. */
typedef struct { const uint8_t *pixels; size_t stride; } ic_png_buffer_source;

static int ic_png_copy_rows(void *ctx, uint32_t y, uint32_t rows, void *dst) {
    const ic_png_buffer_source *b = ctx;
    memcpy(dst, b->pixels + (size_t)y * b->stride, (size_t)rows * b->stride);
    return 0;
}

ic_status ic_png_write(const char *path, uint32_t width, uint32_t height, ic_color color, int bit_depth,
                       const void *pixels, const uint8_t *palette_rgb, int palette_count, ic_error *err) {
    int channels = color == IC_COLOR_RGB ? 3 : 1;
    ic_png_buffer_source src = { pixels, (size_t)width * (size_t)channels * (size_t)(bit_depth == 16 ? 2 : 1) };
    /* One row per call: the buffer is already whole, no band copy needed beyond a row. */
    return ic_png_write_rows(path, width, height, color, bit_depth, palette_rgb, palette_count, 1,
                             ic_png_copy_rows, &src, err);
}

ic_status ic_png_write_rows(const char *path, uint32_t width, uint32_t height, ic_color color, int bit_depth,
                            const uint8_t *palette_rgb, int palette_count, uint32_t band_rows,
                            ic_png_row_source source, void *context, ic_error *err) {
    int color_type, channels;
    switch (color) {
    case IC_COLOR_GRAY: color_type = PNG_COLOR_TYPE_GRAY; channels = 1; break;
    case IC_COLOR_RGB: color_type = PNG_COLOR_TYPE_RGB; channels = 3; break;
    case IC_COLOR_PALETTE: color_type = PNG_COLOR_TYPE_PALETTE; channels = 1; break;
    default: ic_set_error(err, IC_E_UNSUPPORTED, "unsupported PNG colour type for writing"); return IC_E_UNSUPPORTED;
    }
    if (!(bit_depth == 8 || (bit_depth == 16 && color == IC_COLOR_GRAY))) {
        ic_set_error(err, IC_E_UNSUPPORTED, "unsupported PNG bit depth %d for writing", bit_depth);
        return IC_E_UNSUPPORTED;
    }
    if (color == IC_COLOR_PALETTE && (palette_count < 1 || palette_count > 256 || !palette_rgb)) {
        ic_set_error(err, IC_E_UNSUPPORTED, "a PNG palette needs 1...256 entries (got %d)", palette_count);
        return IC_E_UNSUPPORTED;
    }
    if (width == 0 || height == 0) { ic_set_error(err, IC_E_UNSUPPORTED, "cannot write an empty image"); return IC_E_UNSUPPORTED; }
    if (!source) { ic_set_error(err, IC_E_UNSUPPORTED, "no row source"); return IC_E_UNSUPPORTED; }
    if (band_rows == 0) band_rows = 1;
    if (band_rows > height) band_rows = height;
    size_t stride = (size_t)width * (size_t)channels * (size_t)(bit_depth / 8);
    uint8_t *volatile band = malloc(stride * band_rows);
    if (!band) { ic_set_error(err, IC_E_NOMEM, "cannot allocate %u PNG rows", band_rows); return IC_E_NOMEM; }
    FILE *volatile fp = fopen(path, "wb");
    if (!fp) { free(band); ic_set_error(err, IC_E_WRITE, "cannot create: %s", strerror(errno)); return IC_E_WRITE; }
    ic_png_state holder; /* only for the error text */
    memset(&holder, 0, sizeof holder);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &holder, png_err_fn, png_warn_fn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        if (png) png_destroy_write_struct(&png, NULL);
        fclose(fp);
        free(band);
        ic_set_error(err, IC_E_NOMEM, "cannot create libpng writer");
        return IC_E_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        free(band);
        ic_set_error(err, IC_E_WRITE, "libpng: %s", holder.message);
        return IC_E_WRITE;
    }
    png_init_io(png, fp);
    /* Overlays (RGB) are photographic: zlib's default level spends seconds on a 4096² image for a
     * few percent of size. Level 1 (Z_BEST_SPEED) there; label masks keep the default (they shrink a lot). */
    if (color == IC_COLOR_RGB) png_set_compression_level(png, 1);
    png_set_IHDR(png, info, width, height, bit_depth, color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color == IC_COLOR_PALETTE) {
        png_color pal[256];
        for (int i = 0; i < palette_count; i++) {
            pal[i].red = palette_rgb[3 * i];
            pal[i].green = palette_rgb[3 * i + 1];
            pal[i].blue = palette_rgb[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, palette_count);
    }
    png_write_info(png, info);
    if (bit_depth == 16) png_set_swap(png);
    for (uint32_t y = 0; y < height; y += band_rows) {
        uint32_t n = height - y < band_rows ? height - y : band_rows;
        /* The source runs outside libpng: no longjmp can cross it. */
        if (source(context, y, n, band) != 0) {
            png_destroy_write_struct(&png, &info);
            fclose(fp);
            free(band);
            ic_set_error(err, IC_E_WRITE, "the row source failed at row %u", y);
            return IC_E_WRITE;
        }
        for (uint32_t r = 0; r < n; r++) png_write_row(png, band + (size_t)r * stride);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(band);
    int bad = fflush(fp) != 0 || fsync(fileno(fp)) != 0;
    int saved = errno;
    if (fclose(fp) != 0) bad = 1;
    if (bad) { ic_set_error(err, IC_E_WRITE, "write failed: %s", strerror(saved)); return IC_E_WRITE; }
    return IC_OK;
}

uint32_t ic_png_width(const ic_png_state *s) { return s->width; }
