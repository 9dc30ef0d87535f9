/* direct_conv_avx2.c: the 9x9 head and tail on AVX2 + FMA, the twins of
 * direct_conv_avx512.c (same weight layouts), with register tiles cut for 16 ymm registers.
 * The head gives the AVX-512 head's output bit for bit; the tail sums its channels in
 * another order, so its last bits differ. */
#include <immintrin.h>

#include "direct_conv.h"

/* P pixels along x, 16 output channels each: 6 x 2 accumulators, 2 weight vectors and a
 * broadcast fill the 16 registers. P constant at each call. */
static inline __attribute__((always_inline)) void head_pixels(int P, const fmap *out,
                                                              const fmap *in, const float *w,
                                                              const float *bias,
                                                              const float *slope, int y, int x,
                                                              int co0)
{
    int cop = out->c;
    __m256 acc[6][2];
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++) {
        acc[p][0] = _mm256_loadu_ps(bias + co0);
        acc[p][1] = _mm256_loadu_ps(bias + co0 + 8);
    }
    for (int ky = 0; ky < 9; ky++) {
        const float *row = fmap_at(in, y + ky - 4, x - 4);
        for (int kx = 0; kx < 9; kx++) {
            for (int ci = 0; ci < 3; ci++) {
                const float *wk = w + ((size_t)(ky * 9 + kx) * 3 + ci) * cop + co0;
                __m256 w0 = _mm256_loadu_ps(wk), w1 = _mm256_loadu_ps(wk + 8);
                #pragma GCC unroll 8
                for (int p = 0; p < P; p++) {
                    __m256 a = _mm256_broadcast_ss(row + (size_t)(kx + p) * in->c + ci);
                    acc[p][0] = _mm256_fmadd_ps(a, w0, acc[p][0]);
                    acc[p][1] = _mm256_fmadd_ps(a, w1, acc[p][1]);
                }
            }
        }
    }
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        #pragma GCC unroll 2
        for (int v = 0; v < 2; v++) {
            __m256 s = _mm256_loadu_ps(slope + co0 + 8 * v), a = acc[p][v];
            __m256 neg = _mm256_cmp_ps(a, _mm256_setzero_ps(), _CMP_LT_OQ);
            _mm256_storeu_ps(fmap_at(out, y, x + p) + co0 + 8 * v,
                             _mm256_blendv_ps(a, _mm256_mul_ps(a, s), neg));
        }
}

void head_conv9x9_avx2(const fmap *out, const fmap *in, const float *w, const float *bias,
                       const float *slope, int y0, int y1)
{
    for (int y = y0; y < y1; y++)
        for (int co0 = 0; co0 < out->c; co0 += 16) {
            int x = 0;
            for (; x + 6 <= out->w; x += 6)
                head_pixels(6, out, in, w, bias, slope, y, x, co0);
            for (; x < out->w; x++)
                head_pixels(1, out, in, w, bias, slope, y, x, co0);
        }
}

/* The sum of a vector's lanes. */
static inline float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* P pixels of one output row x 3 outputs, each accumulator summing 8 input channels per
 * lane (reduced at the end): 12 accumulators, 3 weight vectors and an input vector fill
 * the 16 registers; each weight vector loaded serves P pixels. P constant at each call. */
static inline __attribute__((always_inline)) void tail_pixels(int P, float *out, size_t plane,
                                                              const fmap *in, const float *w,
                                                              const float *bias, int y, int x)
{
    int cip = in->c;
    size_t co_stride = (size_t)81 * cip;
    __m256 acc[4][3];
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        acc[p][0] = acc[p][1] = acc[p][2] = _mm256_setzero_ps();
    for (int ky = 0; ky < 9; ky++) {
        const float *row = fmap_at(in, y + ky - 4, x - 4);
        for (int kx = 0; kx < 9; kx++) {
            const float *src = row + (size_t)kx * cip, *wk = w + (size_t)(ky * 9 + kx) * cip;
            for (int cb = 0; cb < cip; cb += 8) {
                __m256 w0 = _mm256_load_ps(wk + cb), w1 = _mm256_load_ps(wk + co_stride + cb),
                       w2 = _mm256_load_ps(wk + 2 * co_stride + cb);
                #pragma GCC unroll 8
                for (int p = 0; p < P; p++) {
                    __m256 a = _mm256_load_ps(src + (size_t)p * cip + cb);
                    acc[p][0] = _mm256_fmadd_ps(a, w0, acc[p][0]);
                    acc[p][1] = _mm256_fmadd_ps(a, w1, acc[p][1]);
                    acc[p][2] = _mm256_fmadd_ps(a, w2, acc[p][2]);
                }
            }
        }
    }
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        #pragma GCC unroll 3
        for (int co = 0; co < 3; co++)
            out[co * plane + (size_t)y * in->w + x + p] = hsum(acc[p][co]) + bias[co];
}

/* Column strips keep the nine input rows a pixel reads in L2 while rows advance. */
#define TAIL_STRIP 64

void tail_conv9x9_avx2(float *out, const fmap *in, const float *w, const float *bias, int y0,
                       int y1)
{
    size_t plane = (size_t)in->h * in->w;
    for (int xs = 0; xs < in->w; xs += TAIL_STRIP) {
        int xe = xs + TAIL_STRIP < in->w ? xs + TAIL_STRIP : in->w;
        for (int y = y0; y < y1; y++) {
            int x = xs;
            for (; x + 4 <= xe; x += 4)
                tail_pixels(4, out, plane, in, w, bias, y, x);
            for (; x < xe; x++)
                tail_pixels(1, out, plane, in, w, bias, y, x);
        }
    }
}
