/* QuantKernels: numeric kernels on raw buffers. Knows nothing of layers, files or models.
 * Umbrella header: one header per kernel family. */
#ifndef QUANTKERNELS_H
#define QUANTKERNELS_H
#include "qk_cpu.h"
#include "qk_blas.h"
#include "qk_f32.h"
#include "qk_int8.h"
#include "qk_threadpool.h"
#include "qk_peak.h"
#endif
