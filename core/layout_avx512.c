/* layout_avx512.c: planar <-> interleaved rows by 16x16 register transposes (layout.h). */
#include <immintrin.h>

#include "layout.h"

/* r[i][j] -> r[j][i]. Four butterfly stages; the stage of distance d swaps bit d of the row
 * index with bit d of the column index between rows i and i + d. */
static inline void transpose16(__m512 r[16])
{
    for (int d = 8; d >= 1; d /= 2) {
        int lo_idx[16], hi_idx[16];
        for (int c = 0; c < 16; c++) {
            lo_idx[c] = c & d ? 16 + c - d : c; /* the low row takes its partner's low half */
            hi_idx[c] = c & d ? 16 + c : c + d;
        }
        __m512i lo = _mm512_loadu_si512(lo_idx), hi = _mm512_loadu_si512(hi_idx);
        for (int i = 0; i < 16; i++) {
            if (i & d)
                continue;
            __m512 a = r[i], b = r[i + d];
            r[i] = _mm512_permutex2var_ps(a, lo, b);
            r[i + d] = _mm512_permutex2var_ps(a, hi, b);
        }
    }
}

static inline __mmask16 first(int n)
{
    return (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1);
}

void layout_row_to_pixels(float *pixels, int pc, const float *planes, size_t plane, int c,
                          int w)
{
    __m512 r[16];
    for (int x0 = 0; x0 < w; x0 += 16) {
        int xw = w - x0 < 16 ? w - x0 : 16;
        __mmask16 xm = first(xw);
        for (int c0 = 0; c0 < pc; c0 += 16) {
            for (int k = 0; k < 16; k++)
                r[k] = c0 + k < c ? _mm512_maskz_loadu_ps(xm, planes + (c0 + k) * plane + x0)
                                  : _mm512_setzero_ps();
            transpose16(r);
            for (int p = 0; p < xw; p++)
                _mm512_storeu_ps(pixels + (size_t)(x0 + p) * pc + c0, r[p]);
        }
    }
}

void layout_row_to_planes(float *planes, size_t plane, const float *pixels, int pc, int c,
                          int w, int accumulate)
{
    __m512 r[16];
    for (int x0 = 0; x0 < w; x0 += 16) {
        int xw = w - x0 < 16 ? w - x0 : 16;
        __mmask16 xm = first(xw);
        for (int c0 = 0; c0 < c; c0 += 16) {
            for (int p = 0; p < 16; p++)
                r[p] = p < xw ? _mm512_loadu_ps(pixels + (size_t)(x0 + p) * pc + c0)
                              : _mm512_setzero_ps();
            transpose16(r);
            for (int k = 0; k < 16 && c0 + k < c; k++) {
                float *d = planes + (c0 + k) * plane + x0;
                __m512 v = accumulate ? _mm512_add_ps(_mm512_maskz_loadu_ps(xm, d), r[k]) : r[k];
                _mm512_mask_storeu_ps(d, xm, v);
            }
        }
    }
}
