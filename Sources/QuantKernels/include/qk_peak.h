/* Peak-throughput loops: the ceiling a kernel's speed is compared against in the same run
 * (the VM is noisy, so a peak measured minutes earlier is not a fair yardstick). Each loop runs
 * independent accumulator chains for about `seconds` on the calling thread and returns
 * operations per second / 1e9 (one multiply-add = 2 ops), or 0 if the CPU lacks the feature. */
#ifndef QK_PEAK_H
#define QK_PEAK_H
#ifdef __cplusplus
extern "C" {
#endif

/** vpdpbusd zmm: 64 u8 x s8 multiply-adds per instruction. */
double qk_peak_vnni512_gops(double seconds);
/** vpdpbusd ymm (AVX-VNNI): 32 multiply-adds per instruction. */
double qk_peak_avxvnni_gops(double seconds);
/** vfmadd231ps zmm: 16 fp32 multiply-adds per instruction (GFLOPS). */
double qk_peak_fma512_gflops(double seconds);
/** AMX tdpbusd on 16x64 by 16x64 tiles: 16*16*64 multiply-adds per instruction. */
double qk_peak_amx_gops(double seconds);

#ifdef __cplusplus
}
#endif
#endif
