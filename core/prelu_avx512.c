/* prelu_avx512.c: one channel plane of the PReLU pair, 16 floats a step (layers.h). */
#include <immintrin.h>

#include "layers.h"

void prelu_plane_forward_avx512(float *y, const float *x, float a, size_t n)
{
    __m512 va = _mm512_set1_ps(a);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(m, x + i);
        __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
        _mm512_mask_storeu_ps(y + i, m, _mm512_mask_mul_ps(v, neg, v, va));
    }
}

double prelu_plane_backward_avx512(float *dx, const float *g, const float *x, float a,
                                   size_t n)
{
    __m512 va = _mm512_set1_ps(a);
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? 0xffff : (__mmask16)((1u << (n - i)) - 1);
        __m512 vx = _mm512_maskz_loadu_ps(m, x + i), vg = _mm512_maskz_loadu_ps(m, g + i);
        __mmask16 neg = _mm512_cmp_ps_mask(vx, _mm512_setzero_ps(), _CMP_LT_OQ);
        __m512 d = _mm512_mask_mul_ps(vg, neg, vg, va);
        _mm512_mask_storeu_ps(dx + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, dx + i), d));
        __m512 gx = _mm512_maskz_mul_ps(neg, vg, vx);
        lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(gx)));
        __m256 upper = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(gx), 1));
        hi = _mm512_add_pd(hi, _mm512_cvtps_pd(upper));
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}
