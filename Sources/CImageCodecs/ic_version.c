#include "CImageCodecs.h"
#include <stdio.h>
#include <png.h>
#include <jpeglib.h>
#include <tiffio.h>

const char *ic_library_versions(void) {
    static char buf[256];
    snprintf(buf, sizeof buf, "libpng %s; libjpeg %d; %s", PNG_LIBPNG_VER_STRING, JPEG_LIB_VERSION, TIFFGetVersion());
    return buf;
}
