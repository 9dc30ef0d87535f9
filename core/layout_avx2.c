/* layout_avx2.c: the rows of layout.h on AVX2, for CPUs without AVX-512: each block of 16
 * channels as two halves of 8, by 8x8 register transposes. */
#include <immintrin.h>

#include "layout.h"

#define UNROLL _Pragma("GCC unroll 8")

/* r[i][j] -> r[j][i]: pairs of rows interleaved, then pairs of pairs, then the 128-bit
 * halves swapped between rows four apart. */
static inline void transpose8(__m256 r[8])
{
    __m256 t[8], s[8];
    UNROLL
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    UNROLL
    for (int i = 0; i < 8; i += 4) {
        s[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);
        s[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xee);
        s[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        s[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xee);
    }
    UNROLL
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
    }
}

static inline __m256i first(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

void layout_block_to_pixels_avx2(float *pixels, int stride, const float *planes, size_t plane,
                                 int c, int w)
{
    __m256 r[8];
    for (int x0 = 0; x0 < w; x0 += 8) {
        int xw = w - x0 < 8 ? w - x0 : 8;
        __m256i xm = first(xw);
        for (int g = 0; g < 16; g += 8) {
            UNROLL
            for (int k = 0; k < 8; k++)
                r[k] = g + k < c ? _mm256_maskload_ps(planes + (g + k) * plane + x0, xm)
                                 : _mm256_setzero_ps();
            transpose8(r);
            UNROLL
            for (int p = 0; p < 8; p++)
                if (p < xw)
                    _mm256_storeu_ps(pixels + (size_t)(x0 + p) * stride + g, r[p]);
        }
    }
}

void layout_block_to_planes_avx2(float *planes, size_t plane, const float *pixels, int stride,
                                 int c, int w, int accumulate)
{
    __m256 r[8];
    for (int x0 = 0; x0 < w; x0 += 8) {
        int xw = w - x0 < 8 ? w - x0 : 8;
        __m256i xm = first(xw);
        for (int g = 0; g < c; g += 8) {
            UNROLL
            for (int p = 0; p < 8; p++)
                r[p] = p < xw ? _mm256_loadu_ps(pixels + (size_t)(x0 + p) * stride + g)
                              : _mm256_setzero_ps();
            transpose8(r);
            UNROLL
            for (int k = 0; k < 8; k++) {
                if (g + k >= c)
                    break;
                float *d = planes + (g + k) * plane + x0;
                __m256 v = accumulate ? _mm256_add_ps(_mm256_maskload_ps(d, xm), r[k]) : r[k];
                _mm256_maskstore_ps(d, xm, v);
            }
        }
    }
}
