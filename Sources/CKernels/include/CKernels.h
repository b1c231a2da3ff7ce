#ifndef CKERNELS_H
#define CKERNELS_H
#include <stddef.h>
#include <stdint.h>

/// Converts `count` floats to bfloat16 (round to nearest even), `dst[i]` the upper half of `src[i]`'s rounded bits.
/// Uses the CPU's VCVTNEPS2BF16 when it has AVX512-BF16, a portable loop otherwise.
void engram_f32_to_bf16(const float *src, uint16_t *dst, size_t count);

/// Whether the CPU has the AVX512-BF16 conversion instruction.
int engram_cpu_has_avx512bf16(void);

/// Whether the CPU has AVX-512 (F), which `engram_softmax_rows` needs.
int engram_cpu_has_avx512f(void);

/// Row-wise softmax of a row-major `rows × cols` matrix, in place, in float32 with AVX-512.
/// Call only when `engram_cpu_has_avx512f()`.
void engram_softmax_rows(float *p, size_t rows, size_t cols);

#endif
