#include "qk_int8_internal.h"
void qk_int8_rows_avx2(const qk_conv_ctx *cx, int y0, int y1) { qk_int8_rows_ref(cx, y0, y1); }
void qk_int8_rows_avxvnni(const qk_conv_ctx *cx, int y0, int y1) { qk_int8_rows_ref(cx, y0, y1); }
