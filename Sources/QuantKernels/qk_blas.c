#include "qk_blas.h"
#include <cblas.h>

const char *qk_blas_corename(void) { return openblas_get_corename(); }
const char *qk_blas_config(void) { return openblas_get_config(); }
void qk_blas_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }
int qk_blas_threads(void) { return openblas_get_num_threads(); }
