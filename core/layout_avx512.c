/* layout_avx512.c: planar <-> interleaved rows by 16x16 register transposes (layout.h). */
#include <immintrin.h>

#include "layout.h"

/* Every loop over the 16 rows is unrolled so that the block stays in registers: indexed by
 * a loop variable, the compiler kept it in memory, which took two to four times as long. */
#define UNROLL _Pragma("GCC unroll 16")

/* The permutation indices of the four butterfly stages, d = 8, 4, 2, 1. */
typedef struct butterflies {
    __m512i lo[4], hi[4];
} butterflies;

/* The stage of distance d swaps bit d of the row index with bit d of the column index
 * between rows i and i + d: the low row takes its partner's low half, the high row its
 * partner's high half. */
static inline butterflies make_butterflies(void)
{
    butterflies b;
    __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (int s = 0; s < 4; s++) {
        int d = 8 >> s;
        __mmask16 odd = _mm512_test_epi32_mask(iota, _mm512_set1_epi32(d));
        b.lo[s] = _mm512_mask_add_epi32(iota, odd, iota, _mm512_set1_epi32(16 - d));
        b.hi[s] = _mm512_mask_add_epi32(_mm512_add_epi32(iota, _mm512_set1_epi32(d)), odd, iota,
                                        _mm512_set1_epi32(16));
    }
    return b;
}

/* r[i][j] -> r[j][i]. */
static inline void transpose16(__m512 r[16], const butterflies *b)
{
    UNROLL
    for (int s = 0; s < 4; s++) {
        int d = 8 >> s;
        UNROLL
        for (int i = 0; i < 16; i++) {
            if (i & d)
                continue;
            __m512 lo = r[i], hi = r[i + d];
            r[i] = _mm512_permutex2var_ps(lo, b->lo[s], hi);
            r[i + d] = _mm512_permutex2var_ps(lo, b->hi[s], hi);
        }
    }
}

static inline __mmask16 first(int n)
{
    return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1);
}

void layout_block_to_pixels(float *pixels, int stride, const float *planes, size_t plane,
                            int c, int w)
{
    const butterflies b = make_butterflies();
    __m512 r[16];
    for (int x0 = 0; x0 < w; x0 += 16) {
        int xw = w - x0 < 16 ? w - x0 : 16;
        __mmask16 xm = first(xw);
        UNROLL
        for (int k = 0; k < 16; k++)
            r[k] = k < c ? _mm512_maskz_loadu_ps(xm, planes + k * plane + x0)
                         : _mm512_setzero_ps();
        transpose16(r, &b);
        UNROLL
        for (int p = 0; p < 16; p++)
            if (p < xw)
                _mm512_storeu_ps(pixels + (size_t)(x0 + p) * stride, r[p]);
    }
}

void layout_block_to_planes(float *planes, size_t plane, const float *pixels, int stride,
                            int c, int w, int accumulate)
{
    const butterflies b = make_butterflies();
    __m512 r[16];
    for (int x0 = 0; x0 < w; x0 += 16) {
        int xw = w - x0 < 16 ? w - x0 : 16;
        __mmask16 xm = first(xw);
        UNROLL
        for (int p = 0; p < 16; p++)
            r[p] = p < xw ? _mm512_loadu_ps(pixels + (size_t)(x0 + p) * stride)
                          : _mm512_setzero_ps();
        transpose16(r, &b);
        UNROLL
        for (int k = 0; k < 16; k++) {
            if (k >= c)
                break;
            float *d = planes + k * plane + x0;
            __m512 v = accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(xm, d), r[k]) : r[k];
            _mm512_mask_storeu_ps(d, xm, v);
        }
    }
}
