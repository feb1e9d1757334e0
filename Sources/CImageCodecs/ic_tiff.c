/* TIFF reading via libtiff: 1/2/4/8/16/32-bit unsigned, 8/16/32-bit signed and 32/64-bit float gray
 * (min-is-black/white) and RGB(A), palette; stripped and
 * tiled; colour samples interleaved or in separate planes (8 bits or more per sample); any
 * compression libtiff was built with. Errors are captured per handle with
 * TIFFOpenOptionsSetErrorHandlerExtR (libtiff >= 4.5), warnings are dropped. No TIFFReadRGBA* (it
 * truncates 16-bit to 8). Stripped images are read scanline by scanline; tiled ones one band of tiles
 * (tile height x image width) at a time; separate-plane ones one band of strips or tiles per plane,
 * interleaved into the band (never scanline by scanline across planes, which would make libtiff
 * restart a compressed strip for every row). */
#include "ic_internal.h"
#include <tiffio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <math.h>

struct ic_tiff_state {
    TIFF *tif;
    ic_output output;
    uint32_t width, height, next_row;
    int bps, spp;
    ic_sample_format format;
    ic_kind kind;
    float *lut;            /* palette gray values, colour-map units (0...65535) */
    int tiled;
    int planar;            /* colour samples in separate planes */
    uint32_t tile_w, tile_h;
    uint32_t band_h;       /* rows per band: tile height, or rows per strip (planar stripped) */
    uint8_t *scanline;     /* stripped, interleaved: one row */
    uint8_t *tile;         /* tiled: one tile; planar stripped: one strip of one plane */
    uint8_t *band;         /* banded (tiled or planar): band_h rows of the full width, samples interleaved */
    uint32_t band_row0;    /* first image row held in band, UINT32_MAX if none */
    size_t row_bytes;      /* bytes of one full-width row */
    int data_past_eof;     /* some strip/tile extends beyond the file: truncated */
    char message[400];
};

static int tiff_error_fn(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif;
    ic_tiff_state *s = user;
    if (s && s->message[0] == 0) {
        char buf[300];
        vsnprintf(buf, sizeof buf, fmt, ap);
        snprintf(s->message, sizeof s->message, "%s%s%s", module ? module : "", module ? ": " : "", buf);
    }
    return 1;
}

static int tiff_warning_fn(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap) {
    (void)tif; (void)user; (void)module; (void)fmt; (void)ap;
    return 1;
}

void ic_tiff_close(ic_tiff_state *s) {
    if (!s) return;
    if (s->tif) TIFFClose(s->tif);
    free(s->lut);
    free(s->scanline);
    free(s->tile);
    free(s->band);
    free(s);
}

/* Text of a tag libtiff does not know (stored as ASCII/BYTE/UNDEFINED), malloc'd; NULL if absent. */
static char *read_text_tag(TIFF *tif, uint32_t tag) {
    const TIFFField *f = TIFFFindField(tif, tag, TIFF_ANY);
    if (!f) return NULL;
    TIFFDataType t = TIFFFieldDataType(f);
    if (!(t == TIFF_ASCII || t == TIFF_BYTE || t == TIFF_UNDEFINED || t == TIFF_SBYTE)) return NULL;
    void *data = NULL;
    uint32_t count = 0;
    if (TIFFFieldPassCount(f)) {
        if (TIFFFieldReadCount(f) == TIFF_VARIABLE2) {
            if (!TIFFGetField(tif, tag, &count, &data)) return NULL;
        } else {
            uint16_t c16 = 0;
            if (!TIFFGetField(tif, tag, &c16, &data)) return NULL;
            count = c16;
        }
    } else {
        if (!TIFFGetField(tif, tag, &data) || !data) return NULL;
        count = (uint32_t)strlen(data);
    }
    if (!data || count == 0 || count > (64u << 20)) return NULL;
    char *text = malloc((size_t)count + 1);
    if (!text) return NULL;
    memcpy(text, data, count);
    text[count] = 0;
    for (uint32_t i = 0; i < count; i++) if (text[i] == 0) text[i] = '\n'; /* embedded NULs separate fields */
    return text;
}

static ic_status tiff_fail(ic_tiff_state *s, ic_error *err, ic_status fallback, const char *what) {
    ic_status st = fallback;
    if (s->data_past_eof) st = IC_E_TRUNCATED;
    else if (strstr(s->message, "Read error") || strstr(s->message, "end of file") || strstr(s->message, "Cannot read") || strstr(s->message, "Can not read"))
        st = IC_E_TRUNCATED;
    ic_set_error(err, st, "%s TIFF (%s): %s", st == IC_E_TRUNCATED ? "truncated" : "corrupt", what,
                 s->message[0] ? s->message : "libtiff gave no reason");
    return st;
}

/* info->value_low/high from the storage, and the file's declared range when it narrows that:
 * MinSampleValue/MaxSampleValue for unsigned samples (e.g. 4095 for 12-bit data in 16 bits),
 * SMinSampleValue/SMaxSampleValue for signed and float ones. Palette: colour-map units. */
static void set_value_ranges(TIFF *tif, ic_info *info, uint16_t photometric) {
    int bps = info->bit_depth;
    double lo = 0, hi;
    if (photometric == PHOTOMETRIC_PALETTE) hi = 65535;
    else if (info->sample_format == IC_SAMPLE_FLOAT) hi = 1;
    else if (info->sample_format == IC_SAMPLE_INT) hi = (double)((1ull << (bps - 1)) - 1);
    else hi = (double)((1ull << bps) - 1);
    info->value_low = lo;
    info->value_high = hi;
    if (photometric == PHOTOMETRIC_PALETTE) return;
    double dlo = lo, dhi = hi;
    int have = 0;
    if (info->sample_format == IC_SAMPLE_UINT) {
        uint16_t v16 = 0;
        if (TIFFGetField(tif, TIFFTAG_MINSAMPLEVALUE, &v16)) { dlo = v16; have = 1; }
        if (TIFFGetField(tif, TIFFTAG_MAXSAMPLEVALUE, &v16)) { dhi = v16; have = 1; }
    } else {
        double d = 0;
        if (TIFFGetField(tif, TIFFTAG_SMINSAMPLEVALUE, &d) && isfinite(d)) { dlo = d; have = 1; }
        if (TIFFGetField(tif, TIFFTAG_SMAXSAMPLEVALUE, &d) && isfinite(d)) { dhi = d; have = 1; }
    }
    if (have && dhi > dlo && (dlo != lo || dhi != hi)) {
        info->has_declared_range = 1;
        info->declared_low = dlo;
        info->declared_high = dhi;
    }
}

ic_tiff_state *ic_tiff_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err) {
    ic_tiff_state *s = calloc(1, sizeof *s);
    if (!s) { ic_set_error(err, IC_E_NOMEM, "out of memory"); return NULL; }
    s->output = output;
    s->band_row0 = UINT32_MAX;
    struct stat st;
    if (stat(path, &st) != 0) { ic_set_error(err, IC_E_UNREADABLE, "cannot open: %s", strerror(errno)); free(s); return NULL; }
    FILE *probe = fopen(path, "rb");
    if (!probe) { ic_set_error(err, IC_E_UNREADABLE, "cannot open: %s", strerror(errno)); free(s); return NULL; }
    fclose(probe);

    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    if (!opts) { ic_set_error(err, IC_E_NOMEM, "out of memory"); free(s); return NULL; }
    TIFFOpenOptionsSetErrorHandlerExtR(opts, tiff_error_fn, s);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, tiff_warning_fn, s);
    uint64_t cap = max_pixels * 8u; /* at most RGBA 16-bit per pixel in one strip */
    if (cap > ((uint64_t)1 << 40)) cap = (uint64_t)1 << 40;
    TIFFOpenOptionsSetMaxSingleMemAlloc(opts, (tmsize_t)cap);
    /* "m": no memory mapping. libtiff maps the whole file by default, and every page it touches
     * counts in the resident set: a 32 MB uncompressed 4096² 16-bit TIFF read row by row would
     * end fully resident. Plain reads keep the reader's memory at one strip/row buffer. */
    s->tif = TIFFOpenExt(path, "rm", opts);
    TIFFOpenOptionsFree(opts);
    if (!s->tif) {
        tiff_fail(s, err, IC_E_CORRUPT, "header");
        ic_tiff_close(s);
        return NULL;
    }
    TIFF *tif = s->tif;
    info->format = IC_FORMAT_TIFF;
    info->pages = (int)TIFFNumberOfDirectories(tif);
    if (info->pages < 1) info->pages = 1;
    if (TIFFCurrentDirectory(tif) != 0) TIFFSetDirectory(tif, 0);

    uint32_t w = 0, h = 0;
    uint16_t bps = 1, spp = 1, photometric = 0xFFFF, planar = PLANARCONFIG_CONTIG, sampleformat = SAMPLEFORMAT_UINT,
             compression = COMPRESSION_NONE;
    TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w);
    TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h);
    TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp);
    TIFFGetFieldDefaulted(tif, TIFFTAG_PLANARCONFIG, &planar);
    TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLEFORMAT, &sampleformat);
    TIFFGetFieldDefaulted(tif, TIFFTAG_COMPRESSION, &compression);
    if (!TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photometric)) photometric = spp >= 3 ? PHOTOMETRIC_RGB : PHOTOMETRIC_MINISBLACK;
    info->width = w;
    info->height = h;
    info->bit_depth = bps;
    info->channels = spp;
    info->compression = compression;
    info->tiled = TIFFIsTiled(tif) ? 1 : 0;
    /* JPEG-compressed colour is usually stored as YCbCr (libtiff's tiffcp, GDAL, cameras): let the
     * JPEG codec hand out RGB, and read it as RGB. Set before any scanline size is computed. */
    if (photometric == PHOTOMETRIC_YCBCR && compression == COMPRESSION_JPEG && spp >= 3
        && TIFFSetField(tif, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB)) {
        photometric = PHOTOMETRIC_RGB;
    }
    info->min_is_white = photometric == PHOTOMETRIC_MINISWHITE;
    switch (photometric) {
    case PHOTOMETRIC_PALETTE: info->color = IC_COLOR_PALETTE; break;
    case PHOTOMETRIC_RGB: info->color = spp >= 4 ? IC_COLOR_RGBA : IC_COLOR_RGB; break;
    default: info->color = spp >= 2 ? IC_COLOR_GRAY_ALPHA : IC_COLOR_GRAY; break;
    }
    float xres = 0;
    uint16_t unit = RESUNIT_INCH; /* the TIFF default when ResolutionUnit is absent */
    if (TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres) && xres > 0) {
        TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit);
        info->x_resolution = xres;
        info->resolution_unit = unit == RESUNIT_INCH ? IC_RES_INCH : unit == RESUNIT_CENTIMETER ? IC_RES_CM : IC_RES_NONE;
    }
    info->fei_metadata = read_text_tag(tif, 34682);
    info->zeiss_metadata = read_text_tag(tif, 34118);

    const char *why = NULL;
    char whybuf[160];
    if (w == 0 || h == 0) {
        ic_set_error(err, IC_E_CORRUPT, "TIFF header gives a zero size (%ux%u)", w, h);
        ic_tiff_close(s);
        return NULL;
    }
    if ((uint64_t)w * h > max_pixels) {
        ic_set_error(err, IC_E_TOO_LARGE, "%ux%u pixels exceeds the limit of %llu pixels", w, h, (unsigned long long)max_pixels);
        ic_tiff_close(s);
        return NULL;
    }
    info->sample_format = sampleformat == SAMPLEFORMAT_INT ? IC_SAMPLE_INT
                        : sampleformat == SAMPLEFORMAT_IEEEFP ? IC_SAMPLE_FLOAT : IC_SAMPLE_UINT;
    if (sampleformat == SAMPLEFORMAT_UINT || sampleformat == SAMPLEFORMAT_VOID) {
        if (!(bps == 1 || bps == 2 || bps == 4 || bps == 8 || bps == 16 || bps == 32)) {
            snprintf(whybuf, sizeof whybuf, "%u-bit unsigned samples are not supported (1, 2, 4, 8, 16, 32 are)", bps);
            why = whybuf;
        }
    } else if (sampleformat == SAMPLEFORMAT_INT) {
        if (!(bps == 8 || bps == 16 || bps == 32)) {
            snprintf(whybuf, sizeof whybuf, "%u-bit signed samples are not supported (8, 16, 32 are)", bps);
            why = whybuf;
        }
    } else if (sampleformat == SAMPLEFORMAT_IEEEFP) {
        if (!(bps == 32 || bps == 64)) {
            snprintf(whybuf, sizeof whybuf, "%u-bit floating-point samples are not supported (32, 64 are)", bps);
            why = whybuf;
        }
    } else {
        snprintf(whybuf, sizeof whybuf, "sample format %u (complex) is not supported", sampleformat);
        why = whybuf;
    }
    if (why) {
        /* refused above */
    } else if (planar != PLANARCONFIG_CONTIG && spp > 1 && bps % 8 != 0) {
        why = "separate colour planes with samples under 8 bits are not supported";
    } else if (!TIFFIsCODECConfigured(compression)) {
        snprintf(whybuf, sizeof whybuf, "compression %u is not available in this libtiff", compression);
        why = whybuf;
    } else if (photometric == PHOTOMETRIC_RGB && (spp < 3 || bps < 8)) {
        why = "RGB needs 3 or more samples of 8 bits or more";
    } else if (photometric == PHOTOMETRIC_PALETTE && (spp != 1 || bps > 8 || info->sample_format != IC_SAMPLE_UINT)) {
        why = "palette images need 1 unsigned sample of at most 8 bits";
    } else if (!(photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE || photometric == PHOTOMETRIC_RGB
                 || photometric == PHOTOMETRIC_PALETTE)) {
        snprintf(whybuf, sizeof whybuf, "photometric interpretation %u (e.g. uncompressed YCbCr, CMYK, Lab) is not supported", photometric);
        why = whybuf;
    } else if (output == IC_OUT_LABELS_U8 && !((photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_PALETTE)
                                              && bps <= 8 && spp == 1 && info->sample_format == IC_SAMPLE_UINT)) {
        why = "a label mask must be 8-bit unsigned gray or palette with values = class ids";
    }
    if (why) {
        ic_set_error(err, IC_E_UNSUPPORTED, "%s", why);
        ic_tiff_close(s);
        return NULL;
    }
    s->width = w;
    s->height = h;
    s->bps = bps;
    s->spp = spp;
    s->format = info->sample_format;
    set_value_ranges(tif, info, photometric);
    s->kind = photometric == PHOTOMETRIC_RGB ? IC_KIND_RGB
            : photometric == PHOTOMETRIC_PALETTE ? IC_KIND_PALETTE
            : photometric == PHOTOMETRIC_MINISWHITE ? IC_KIND_GRAY_INVERT : IC_KIND_GRAY;
    if (s->kind == IC_KIND_PALETTE) {
        uint16_t *r, *g, *b;
        if (!TIFFGetField(tif, TIFFTAG_COLORMAP, &r, &g, &b)) {
            ic_set_error(err, IC_E_CORRUPT, "palette TIFF without a colour map");
            ic_tiff_close(s);
            return NULL;
        }
        size_t n = (size_t)1 << bps;
        s->lut = malloc(n * sizeof(float));
        if (!s->lut) { ic_set_error(err, IC_E_NOMEM, "out of memory"); ic_tiff_close(s); return NULL; }
        for (size_t i = 0; i < n; i++) s->lut[i] = 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
    }
    /* Does any strip/tile extend beyond the end of the file? Then data errors mean truncation. */
    uint32_t nchunks = info->tiled ? TIFFNumberOfTiles(tif) : TIFFNumberOfStrips(tif);
    for (uint32_t i = 0; i < nchunks; i++) {
        uint64_t off = info->tiled ? TIFFGetStrileOffset(tif, i) : TIFFGetStrileOffset(tif, i);
        uint64_t len = TIFFGetStrileByteCount(tif, i);
        if (off + len > (uint64_t)st.st_size) { s->data_past_eof = 1; break; }
    }
    s->row_bytes = ((size_t)w * spp * bps + 7) / 8;
    s->tiled = info->tiled;
    s->planar = planar == PLANARCONFIG_SEPARATE && spp > 1;
    if (s->tiled) {
        TIFFGetField(tif, TIFFTAG_TILEWIDTH, &s->tile_w);
        TIFFGetField(tif, TIFFTAG_TILELENGTH, &s->tile_h);
        if (s->tile_w == 0 || s->tile_h == 0 || (bps < 8 && (s->tile_w * bps) % 8 != 0)) {
            ic_set_error(err, IC_E_CORRUPT, "bad tile size %ux%u", s->tile_w, s->tile_h);
            ic_tiff_close(s);
            return NULL;
        }
        s->band_h = s->tile_h;
        tmsize_t ts = TIFFTileSize(tif);
        s->tile = ts > 0 ? malloc((size_t)ts) : NULL;
        s->band = malloc(s->row_bytes * s->tile_h);
        if (!s->tile || !s->band) { ic_set_error(err, IC_E_NOMEM, "out of memory for a tile band"); ic_tiff_close(s); return NULL; }
    } else if (s->planar) {
        uint32_t rps = 0;
        TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps);
        s->band_h = rps == 0 || rps > h ? h : rps;
        tmsize_t ss = TIFFStripSize(tif);
        s->tile = ss > 0 ? malloc((size_t)ss) : NULL;
        s->band = malloc(s->row_bytes * s->band_h);
        if (!s->tile || !s->band) { ic_set_error(err, IC_E_NOMEM, "out of memory for a strip band"); ic_tiff_close(s); return NULL; }
    } else {
        tmsize_t ss = TIFFScanlineSize(tif);
        s->scanline = ss > 0 ? malloc((size_t)ss) : NULL;
        if (!s->scanline) { ic_set_error(err, IC_E_NOMEM, "out of memory"); ic_tiff_close(s); return NULL; }
    }
    return s;
}

/* Separate planes: the band of strips or tiles covering image row y, each plane's samples put in
 * their place among the interleaved samples of s->band. */
static int load_planar_band(ic_tiff_state *s, uint32_t y) {
    uint32_t y0 = y - y % s->band_h;
    uint32_t rows = s->band_h < s->height - y0 ? s->band_h : s->height - y0;
    size_t bs = (size_t)s->bps / 8, px = (size_t)s->spp * bs;
    for (int sample = 0; sample < s->spp; sample++) {
        if (s->tiled) {
            for (uint32_t x0 = 0; x0 < s->width; x0 += s->tile_w) {
                if (TIFFReadTile(s->tif, s->tile, x0, y0, 0, (uint16_t)sample) < 0) return 0;
                uint32_t cols = s->tile_w < s->width - x0 ? s->tile_w : s->width - x0;
                for (uint32_t r = 0; r < rows; r++) {
                    const uint8_t *from = s->tile + (size_t)r * s->tile_w * bs;
                    uint8_t *to = s->band + (size_t)r * s->row_bytes + (size_t)x0 * px + (size_t)sample * bs;
                    for (uint32_t x = 0; x < cols; x++) memcpy(to + x * px, from + x * bs, bs);
                }
            }
        } else {
            uint32_t strip = TIFFComputeStrip(s->tif, y0, (uint16_t)sample);
            tmsize_t need = (tmsize_t)((size_t)rows * s->width * bs);
            if (TIFFReadEncodedStrip(s->tif, strip, s->tile, need) < need) return 0;
            for (uint32_t r = 0; r < rows; r++) {
                const uint8_t *from = s->tile + (size_t)r * s->width * bs;
                uint8_t *to = s->band + (size_t)r * s->row_bytes + (size_t)sample * bs;
                for (uint32_t x = 0; x < s->width; x++) memcpy(to + x * px, from + x * bs, bs);
            }
        }
    }
    s->band_row0 = y0;
    return 1;
}

/* Loads the band of tiles covering image row y into s->band. */
static int load_band(ic_tiff_state *s, uint32_t y) {
    if (s->planar) return load_planar_band(s, y);
    uint32_t y0 = y - y % s->tile_h;
    size_t tile_row_bytes = ((size_t)s->tile_w * s->spp * s->bps + 7) / 8;
    for (uint32_t x0 = 0; x0 < s->width; x0 += s->tile_w) {
        if (TIFFReadTile(s->tif, s->tile, x0, y0, 0, 0) < 0) return 0;
        size_t dst_off = ((size_t)x0 * s->spp * s->bps) / 8;
        size_t copy = tile_row_bytes;
        if (dst_off + copy > s->row_bytes) copy = s->row_bytes - dst_off;
        for (uint32_t r = 0; r < s->tile_h && y0 + r < s->height; r++)
            memcpy(s->band + (size_t)r * s->row_bytes + dst_off, s->tile + (size_t)r * tile_row_bytes, copy);
    }
    s->band_row0 = y0;
    return 1;
}

ic_status ic_tiff_read_rows(ic_tiff_state *s, void *dst, uint32_t rows, ic_error *err) {
    if (rows > s->height - s->next_row) {
        ic_set_error(err, IC_E_CORRUPT, "read past the last row");
        return IC_E_CORRUPT;
    }
    for (uint32_t i = 0; i < rows; i++) {
        uint32_t y = s->next_row;
        const uint8_t *src;
        if (s->tiled || s->planar) {
            if (s->band_row0 == UINT32_MAX || y < s->band_row0 || y >= s->band_row0 + s->band_h) {
                if (!load_band(s, y)) return tiff_fail(s, err, IC_E_CORRUPT, s->tiled ? "tile data" : "strip data");
            }
            src = s->band + (size_t)(y - s->band_row0) * s->row_bytes;
        } else {
            if (TIFFReadScanline(s->tif, s->scanline, y, 0) < 0) return tiff_fail(s, err, IC_E_CORRUPT, "strip data");
            src = s->scanline;
        }
        if (s->output == IC_OUT_LABELS_U8) {
            uint8_t *out = (uint8_t *)dst + (size_t)i * s->width;
            for (uint32_t x = 0; x < s->width; x++) out[x] = (uint8_t)ic_sample(src, x, s->bps);
        } else {
            ic_convert_row(src, (float *)dst + (size_t)i * s->width, s->width, s->bps, s->spp, s->format, s->kind, s->lut);
        }
        s->next_row++;
    }
    return IC_OK;
}

uint32_t ic_tiff_width(const ic_tiff_state *s) { return s->width; }
