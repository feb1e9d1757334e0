/* The one place that talks to OpenBLAS about itself (core type, threads). */
#ifndef QK_BLAS_H
#define QK_BLAS_H
#ifdef __cplusplus
extern "C" {
#endif

/** The kernel family OpenBLAS selected at load time, e.g. "SkylakeX" or "Prescott". */
const char *qk_blas_corename(void);
/** OpenBLAS's build configuration string. */
const char *qk_blas_config(void);
/** Sets OpenBLAS's own thread count (call with the agent's thread budget to avoid oversubscription). */
void qk_blas_set_threads(int n);
/** OpenBLAS's current thread count. */
int qk_blas_threads(void);

#ifdef __cplusplus
}
#endif
#endif
