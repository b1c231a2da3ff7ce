// Attention's softmax, a tenth of the encoder's time once its dense layers run in bf16. Written in C
// because Swift code is compiled for baseline x86-64, so its SIMD16<Float> loops run on 128-bit SSE;
// here they get the CPU's 512-bit units (selected at run time, the Swift loop remaining the fallback).
#include "CKernels.h"
#include <immintrin.h>
#include <math.h>

int engram_cpu_has_avx512f(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

#define AVX512 __attribute__((target("avx512f")))

// exp(x) for x ≤ 0 (softmax subtracts the row's maximum first), Cephes-style as in Kernels.exp:
// 2^n · p(r) with r = x − n·ln2 split in two parts, p of degree 7; scalef applies 2^n.
AVX512 static inline __m512 exp_nonpositive(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-87.3f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    __m512 y = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}

AVX512 void engram_softmax_rows(float *p, size_t rows, size_t cols) {
    const size_t full = cols & ~(size_t)15;
    const __mmask16 tail = (__mmask16)((1u << (cols - full)) - 1);
    for (size_t r = 0; r < rows; r++) {
        float *row = p + r * cols;
        __m512 m = _mm512_set1_ps(-INFINITY);
        for (size_t j = 0; j < full; j += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(row + j));
        if (tail) m = _mm512_max_ps(m, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), tail, row + full));
        const __m512 max = _mm512_set1_ps(_mm512_reduce_max_ps(m));

        __m512 sum = _mm512_setzero_ps();
        for (size_t j = 0; j < full; j += 16) {
            __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_loadu_ps(row + j), max));
            _mm512_storeu_ps(row + j, e);
            sum = _mm512_add_ps(sum, e);
        }
        if (tail) {
            __m512 e = exp_nonpositive(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, row + full), max));
            _mm512_mask_storeu_ps(row + full, tail, e);
            sum = _mm512_add_ps(sum, _mm512_maskz_mov_ps(tail, e));
        }
        const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
        for (size_t j = 0; j < full; j += 16) _mm512_storeu_ps(row + j, _mm512_mul_ps(_mm512_loadu_ps(row + j), inv));
        if (tail) _mm512_mask_storeu_ps(row + full, tail, _mm512_mul_ps(_mm512_maskz_loadu_ps(tail, row + full), inv));
    }
}
