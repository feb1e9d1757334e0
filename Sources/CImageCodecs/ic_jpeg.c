/* JPEG reading via libjpeg(-turbo). Errors longjmp back to the entry point in this file. A premature
 * end of data (which libjpeg only warns about, padding the image with gray) is an error here. */
#include "ic_internal.h"
#include <jpeglib.h>
#include <jerror.h>
#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    ic_status status;
    char message[JMSG_LENGTH_MAX + 64];
} ic_jpeg_err;

struct ic_jpeg_state {
    FILE *fp;
    struct jpeg_decompress_struct cinfo;
    ic_jpeg_err jerr;
    int created, started, finished;
    uint32_t width, height, next_row;
    uint8_t *row;
};

static void jpeg_error_exit_fn(j_common_ptr cinfo) {
    ic_jpeg_err *e = (ic_jpeg_err *)cinfo->err;
    char buf[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buf);
    int code = cinfo->err->msg_code;
    if (code == JERR_INPUT_EMPTY || code == JERR_INPUT_EOF) e->status = IC_E_TRUNCATED;
    else if (code == JERR_OUT_OF_MEMORY) e->status = IC_E_NOMEM;
    else if (code == JERR_BAD_PRECISION || code == JERR_CONVERSION_NOTIMPL || code == JERR_NOT_COMPILED
             || code == JERR_ARITH_NOTIMPL)
        e->status = IC_E_UNSUPPORTED;
    else e->status = IC_E_CORRUPT;
    snprintf(e->message, sizeof e->message, "%s", buf);
    longjmp(e->jump, 1);
}

static void jpeg_emit_message_fn(j_common_ptr cinfo, int level) {
    ic_jpeg_err *e = (ic_jpeg_err *)cinfo->err;
    if (level < 0) {
        cinfo->err->num_warnings++;
        if (cinfo->err->msg_code == JWRN_JPEG_EOF) {
            e->status = IC_E_TRUNCATED;
            snprintf(e->message, sizeof e->message, "premature end of JPEG data");
            longjmp(e->jump, 1);
        }
        /* Other corrupt-data warnings (e.g. extraneous bytes before a marker) are tolerated. */
    }
}

static ic_status jpeg_fail(ic_jpeg_state *s, ic_error *err) {
    ic_status st = s->jerr.status == IC_OK ? IC_E_CORRUPT : s->jerr.status;
    if (st == IC_E_TRUNCATED) ic_set_error(err, st, "JPEG data ends early: %s", s->jerr.message);
    else if (st == IC_E_UNSUPPORTED) ic_set_error(err, st, "unsupported JPEG: %s", s->jerr.message);
    else ic_set_error(err, st, "corrupt JPEG: %s", s->jerr.message);
    return st;
}

void ic_jpeg_close(ic_jpeg_state *s) {
    if (!s) return;
    if (s->created) {
        if (setjmp(s->jerr.jump) == 0) jpeg_destroy_decompress(&s->cinfo);
    }
    if (s->fp) fclose(s->fp);
    free(s->row);
    free(s);
}

ic_jpeg_state *ic_jpeg_open(const char *path, ic_output output, uint64_t max_pixels, ic_info *info, ic_error *err) {
    if (output == IC_OUT_LABELS_U8) {
        ic_set_error(err, IC_E_UNSUPPORTED, "JPEG is lossy and cannot hold class ids; masks must be PNG");
        return NULL;
    }
    ic_jpeg_state *s = calloc(1, sizeof *s);
    if (!s) { ic_set_error(err, IC_E_NOMEM, "out of memory"); return NULL; }
    s->fp = fopen(path, "rb");
    if (!s->fp) { ic_set_error(err, IC_E_UNREADABLE, "cannot open: %s", strerror(errno)); free(s); return NULL; }
    s->cinfo.err = jpeg_std_error(&s->jerr.pub);
    s->jerr.pub.error_exit = jpeg_error_exit_fn;
    s->jerr.pub.emit_message = jpeg_emit_message_fn;
    if (setjmp(s->jerr.jump)) {
        jpeg_fail(s, err);
        ic_jpeg_close(s);
        return NULL;
    }
    jpeg_create_decompress(&s->cinfo);
    s->created = 1;
    jpeg_stdio_src(&s->cinfo, s->fp);
    jpeg_read_header(&s->cinfo, TRUE);

    info->format = IC_FORMAT_JPEG;
    info->width = s->cinfo.image_width;
    info->height = s->cinfo.image_height;
    info->channels = s->cinfo.num_components;
    info->bit_depth = s->cinfo.data_precision;
    info->pages = 1;
    info->progressive = s->cinfo.progressive_mode ? 1 : 0;
    info->color = s->cinfo.num_components == 1 ? IC_COLOR_GRAY : IC_COLOR_RGB;
    info->value_low = 0;
    info->value_high = 255; /* decoded as 8-bit gray */
    if (s->cinfo.saw_JFIF_marker && (s->cinfo.density_unit == 1 || s->cinfo.density_unit == 2) && s->cinfo.X_density > 0) {
        info->x_resolution = s->cinfo.X_density;
        info->resolution_unit = s->cinfo.density_unit == 1 ? IC_RES_INCH : IC_RES_CM;
    }
    switch (s->cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE: case JCS_YCbCr: case JCS_RGB: break;
    default:
        ic_set_error(err, IC_E_UNSUPPORTED, "JPEG colour space %d (CMYK/YCCK) is not supported", (int)s->cinfo.jpeg_color_space);
        ic_jpeg_close(s);
        return NULL;
    }
    if (info->width == 0 || info->height == 0) {
        ic_set_error(err, IC_E_CORRUPT, "JPEG header gives a zero size");
        ic_jpeg_close(s);
        return NULL;
    }
    if ((uint64_t)info->width * info->height > max_pixels) {
        ic_set_error(err, IC_E_TOO_LARGE, "%ux%u pixels exceeds the limit of %llu pixels", info->width,
                     info->height, (unsigned long long)max_pixels);
        ic_jpeg_close(s);
        return NULL;
    }
    /* Gray output: for YCbCr this is the Y channel, i.e. Rec.601 luma (0.299 R + 0.587 G + 0.114 B). */
    s->cinfo.out_color_space = JCS_GRAYSCALE;
    s->width = info->width;
    s->height = info->height;
    s->row = malloc(s->width);
    if (!s->row) { ic_set_error(err, IC_E_NOMEM, "out of memory"); ic_jpeg_close(s); return NULL; }
    return s;
}

ic_status ic_jpeg_read_rows(ic_jpeg_state *s, void *dst, uint32_t rows, ic_error *err) {
    if (rows > s->height - s->next_row) {
        ic_set_error(err, IC_E_CORRUPT, "read past the last row");
        return IC_E_CORRUPT;
    }
    if (setjmp(s->jerr.jump)) return jpeg_fail(s, err);
    if (!s->started) {
        jpeg_start_decompress(&s->cinfo);
        s->started = 1;
        if (s->cinfo.output_components != 1) {
            ic_set_error(err, IC_E_UNSUPPORTED, "JPEG could not be converted to gray");
            return IC_E_UNSUPPORTED;
        }
    }
    float *out = dst;
    for (uint32_t i = 0; i < rows; i++) {
        JSAMPROW rp = s->row;
        if (jpeg_read_scanlines(&s->cinfo, &rp, 1) != 1) {
            ic_set_error(err, IC_E_TRUNCATED, "JPEG data ends early (row %u)", s->next_row);
            return IC_E_TRUNCATED;
        }
        ic_convert_row(s->row, out + (size_t)i * s->width, s->width, 8, 1, IC_SAMPLE_UINT, IC_KIND_GRAY, NULL);
        s->next_row++;
    }
    if (s->next_row == s->height && !s->finished) {
        jpeg_finish_decompress(&s->cinfo); /* reads to EOI: a missing tail is an error */
        s->finished = 1;
    }
    return IC_OK;
}

uint32_t ic_jpeg_width(const ic_jpeg_state *s) { return s->width; }
