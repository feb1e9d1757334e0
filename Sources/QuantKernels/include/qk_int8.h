/* int8 kernels (deployed inference): u8 activations x s8 weights -> s32, fused output stage. */
#ifndef QK_INT8_H
#define QK_INT8_H
#ifdef __cplusplus
extern "C" {
#endif

#ifdef __cplusplus
}
#endif
#endif
