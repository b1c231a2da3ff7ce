// Activations are converted to bfloat16 before every reduced-precision matrix product, four times a layer.
// Written by hand because oneDNN's reorder primitive is ~400× slower on these row-major matrices
// (~20 ms against ~0.05 ms for 2048×384), and Swift compiles for baseline x86-64, without AVX-512.
#include "CKernels.h"
#include <immintrin.h>
#include <string.h>

int engram_cpu_has_avx512bf16(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bf16") && __builtin_cpu_supports("avx512bw");
}

__attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
static void convert_avx512bf16(const float *src, uint16_t *dst, size_t count) {
    size_t i = 0;
    for (; i + 32 <= count; i += 32) {
        // One instruction rounds 2×16 floats to 32 bf16 values.
        __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512((void *)(dst + i), (__m512i)v);
    }
    if (i < count) {
        __mmask16 m = (__mmask16)((1u << (count - i < 16 ? count - i : 16)) - 1);
        __m256bh lo = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, src + i));
        _mm256_mask_storeu_epi16(dst + i, m, (__m256i)lo);
        i += 16;
        if (i < count) {
            __mmask16 m2 = (__mmask16)((1u << (count - i)) - 1);
            __m256bh hi = _mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m2, src + i));
            _mm256_mask_storeu_epi16(dst + i, m2, (__m256i)hi);
        }
    }
}

static void convert_portable(const float *src, uint16_t *dst, size_t count) {
    for (size_t i = 0; i < count; i++) {
        uint32_t b;
        memcpy(&b, src + i, 4);
        dst[i] = (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
    }
}

void engram_f32_to_bf16(const float *src, uint16_t *dst, size_t count) {
    static int has = -1;  // benign race: every thread computes the same answer
    if (has < 0) has = engram_cpu_has_avx512bf16();
    if (has) convert_avx512bf16(src, dst, count); else convert_portable(src, dst, count);
}
