/* fp32 kernels (training and reference inference). */
#ifndef QK_F32_H
#define QK_F32_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
