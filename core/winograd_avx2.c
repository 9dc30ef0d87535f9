/* winograd_avx2.c: Winograd F(4x4, 3x3) convolution on AVX2 + FMA, the twin of
 * winograd_avx512.c for CPUs without AVX-512: the same weights, scratch layout and steps
 * (input transform, 36 GEMMs, output transform with the fused epilogue), on 8-lane vectors,
 * each 16-channel block of a map being two of them. Every lane does the operations of the
 * AVX-512 kernel in the same order, so both give the same output bit for bit. */
#include <immintrin.h>
#include <string.h>

#include "winograd.h"

#define TB WINOGRAD_TILE_BLOCK
#define CHUNK 64 /* output channels per GEMM pass */

/* G (6x3) of F(4x4, 3x3) with interpolation points 0, +-1, +-2 and infinity. */
static const float G[6][3] = {
    {1.0f / 4, 0, 0},
    {-1.0f / 6, -1.0f / 6, -1.0f / 6},
    {-1.0f / 6, 1.0f / 6, -1.0f / 6},
    {1.0f / 24, 1.0f / 12, 1.0f / 6},
    {1.0f / 24, -1.0f / 12, 1.0f / 6},
    {0, 0, 1},
};

/* sum over r < 3 of c[r] * x[r], c a row or column of G. */
static inline __m256 g3(float c0, float c1, float c2, __m256 x0, __m256 x1, __m256 x2)
{
    return _mm256_fmadd_ps(_mm256_set1_ps(c2), x2,
                           _mm256_fmadd_ps(_mm256_set1_ps(c1), x1,
                                           _mm256_mul_ps(_mm256_set1_ps(c0), x0)));
}

void winograd_weights_avx2(float *U, const float *weight, int cin, int cout, int cip, int cop,
                           const int *perm)
{
    /* Eight output channels at a time, a lane each, as winograd_weights does sixteen. */
    memset(U, 0, sizeof(float) * 36 * (size_t)cip * cop);
    for (int co0 = 0; co0 < cop; co0 += 8) {
        int first[8], live[8];
        for (int l = 0; l < 8; l++) {
            int src = perm ? perm[co0 + l] : co0 + l;
            int ok = src >= 0 && src < cout; /* else a padding channel */
            first[l] = ok ? src * cin * 9 : 0;
            live[l] = ok ? -1 : 0;
        }
        __m256i base = _mm256_loadu_si256((const __m256i *)first);
        __m256 mask = _mm256_castsi256_ps(_mm256_loadu_si256((const __m256i *)live));
        for (int ci = 0; ci < cin; ci++) {
            __m256 g[9], t[6][3];
            #pragma GCC unroll 9
            for (int k = 0; k < 9; k++) {
                __m256i at = _mm256_add_epi32(base, _mm256_set1_epi32(ci * 9 + k));
                g[k] = _mm256_mask_i32gather_ps(_mm256_setzero_ps(), weight, at, mask, 4);
            }
            #pragma GCC unroll 6
            for (int i = 0; i < 6; i++) /* G g */
                #pragma GCC unroll 3
                for (int j = 0; j < 3; j++)
                    t[i][j] = g3(G[i][0], G[i][1], G[i][2], g[j], g[3 + j], g[6 + j]);
            #pragma GCC unroll 6
            for (int i = 0; i < 6; i++) /* (G g) G^T */
                #pragma GCC unroll 6
                for (int j = 0; j < 6; j++)
                    _mm256_storeu_ps(U + ((size_t)(i * 6 + j) * cip + ci) * cop + co0,
                                     g3(G[j][0], G[j][1], G[j][2], t[i][0], t[i][1], t[i][2]));
        }
    }
}

size_t winograd_scratch_floats_avx2(int cip)
{
    return (size_t)36 * TB * cip + (size_t)36 * TB * CHUNK; /* V, then M */
}

/* B^T x for six vectors (one column or row of a tile). */
static inline void bt6(__m256 d0, __m256 d1, __m256 d2, __m256 d3, __m256 d4, __m256 d5,
                       __m256 *o)
{
    const __m256 four = _mm256_set1_ps(4.0f), five = _mm256_set1_ps(5.0f),
                 two = _mm256_set1_ps(2.0f);
    __m256 t1 = _mm256_fnmadd_ps(four, d2, d4); /* d4 - 4 d2 */
    __m256 t2 = _mm256_fnmadd_ps(four, d1, d3); /* d3 - 4 d1 */
    __m256 t3 = _mm256_sub_ps(d4, d2);
    __m256 t4 = _mm256_mul_ps(two, _mm256_sub_ps(d3, d1));
    o[0] = _mm256_add_ps(_mm256_fnmadd_ps(five, d2, _mm256_mul_ps(four, d0)), d4);
    o[1] = _mm256_add_ps(t1, t2);
    o[2] = _mm256_sub_ps(t1, t2);
    o[3] = _mm256_add_ps(t3, t4);
    o[4] = _mm256_sub_ps(t3, t4);
    o[5] = _mm256_add_ps(_mm256_fnmadd_ps(five, d3, _mm256_mul_ps(four, d1)), d5);
}

/* V[p][t][cb..cb+8) (positions pstride floats apart) for tiles [tx0, tx0 + n) of tile row
 * ty. */
static void input_transform(float *V, size_t pstride, const fmap *in, int ty, int tx0, int n,
                            int cip)
{
    for (int t = 0; t < n; t++) {
        /* Tile rows 4ty-1 .. 4ty+4 and columns likewise; the border is zero. */
        const float *base = fmap_at(in, 4 * ty - 1, 4 * (tx0 + t) - 1);
        for (int cb = 0; cb < cip; cb += 8) {
            __m256 rows[6][6];
            #pragma GCC unroll 8
            for (int c = 0; c < 6; c++) {
                const float *col = base + (size_t)c * in->c + cb;
                __m256 o[6];
                bt6(_mm256_loadu_ps(col), _mm256_loadu_ps(col + in->row),
                    _mm256_loadu_ps(col + 2 * in->row), _mm256_loadu_ps(col + 3 * in->row),
                    _mm256_loadu_ps(col + 4 * in->row), _mm256_loadu_ps(col + 5 * in->row), o);
                #pragma GCC unroll 8
                for (int r = 0; r < 6; r++)
                    rows[r][c] = o[r];
            }
            #pragma GCC unroll 8
            for (int r = 0; r < 6; r++) {
                __m256 o[6];
                bt6(rows[r][0], rows[r][1], rows[r][2], rows[r][3], rows[r][4], rows[r][5], o);
                #pragma GCC unroll 8
                for (int c = 0; c < 6; c++)
                    _mm256_storeu_ps(V + (size_t)(r * 6 + c) * pstride + (size_t)t * cip + cb,
                                     o[c]);
            }
        }
    }
}

/* M[t][0..16) (R tiles) = sum_k V[t][k] U[k][0..16); M rows are CHUNK apart. A 6 x 16
 * register tile: 12 accumulators, 2 weight vectors and a broadcast fill the 16 ymm
 * registers. R is a constant at every call, so the accumulators live in registers. */
static inline __attribute__((always_inline)) void gemm_tile(int R, float *M, const float *V,
                                                            const float *U, int cip, int cop)
{
    __m256 acc[6][2];
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++)
        acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int k = 0; k < cip; k++) {
        const float *u = U + (size_t)k * cop;
        __m256 b0 = _mm256_loadu_ps(u), b1 = _mm256_loadu_ps(u + 8);
        #pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            __m256 a = _mm256_broadcast_ss(V + (size_t)r * cip + k);
            acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
            acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
        _mm256_storeu_ps(M + (size_t)r * CHUNK, acc[r][0]);
        _mm256_storeu_ps(M + (size_t)r * CHUNK + 8, acc[r][1]);
    }
}

/* The 36 GEMMs of one block for output channels [co0, co0 + 16 nb): for each position, a
 * 16-column panel of U at a time against all n tiles, so the panel and V[p] stay in L1. */
static void gemm_block(int nb, int n, float *M, const float *V, const float *U, int cip,
                       int cop, int co0)
{
    for (int p = 0; p < 36; p++)
        for (int b = 0; b < nb; b++) {
            float *Mp = M + (size_t)p * TB * CHUNK + 16 * b;
            const float *Vp = V + (size_t)p * TB * cip;
            const float *Up = U + (size_t)p * cip * cop + co0 + 16 * b;
            int t = 0;
            for (; t + 6 <= n; t += 6)
                gemm_tile(6, Mp + (size_t)t * CHUNK, Vp + (size_t)t * cip, Up, cip, cop);
            Mp += (size_t)t * CHUNK;
            Vp += (size_t)t * cip;
            switch (n - t) {
            case 5: gemm_tile(5, Mp, Vp, Up, cip, cop); break;
            case 4: gemm_tile(4, Mp, Vp, Up, cip, cop); break;
            case 3: gemm_tile(3, Mp, Vp, Up, cip, cop); break;
            case 2: gemm_tile(2, Mp, Vp, Up, cip, cop); break;
            case 1: gemm_tile(1, Mp, Vp, Up, cip, cop); break;
            default: break;
            }
        }
}

/* A^T x for six vectors. */
static inline void at6(const __m256 *m, __m256 *y)
{
    const __m256 two = _mm256_set1_ps(2.0f), four = _mm256_set1_ps(4.0f),
                 eight = _mm256_set1_ps(8.0f);
    __m256 s12 = _mm256_add_ps(m[1], m[2]), d12 = _mm256_sub_ps(m[1], m[2]);
    __m256 s34 = _mm256_add_ps(m[3], m[4]), d34 = _mm256_sub_ps(m[3], m[4]);
    y[0] = _mm256_add_ps(_mm256_add_ps(m[0], s12), s34);
    y[1] = _mm256_fmadd_ps(two, d34, d12);
    y[2] = _mm256_fmadd_ps(four, s34, s12);
    y[3] = _mm256_add_ps(_mm256_fmadd_ps(eight, d34, d12), m[5]);
}

/* Output transform and epilogue of output channels [co0, co0 + CHUNK) for the block. */
static void output_transform(const fmap *out, const float *M, int ty, int tx0, int n, int co0,
                             int cop, const winograd_epilogue *ep)
{
    size_t pstride = (size_t)TB * CHUNK;
    for (int t = 0; t < n; t++) {
        int y0 = 4 * ty, x0 = 4 * (tx0 + t);
        int h = ep->shuffle ? out->h / ep->shuffle : out->h;
        int w = ep->shuffle ? out->w / ep->shuffle : out->w;
        int rows = h - y0 < 4 ? h - y0 : 4, cols = w - x0 < 4 ? w - x0 : 4;
        for (int j = 0; j < CHUNK && co0 + j < cop; j += 8) {
            int co = co0 + j;
            __m256 tmp[4][6];
            #pragma GCC unroll 8
            for (int c = 0; c < 6; c++) {
                __m256 m[6], y[4];
                #pragma GCC unroll 8
                for (int r = 0; r < 6; r++)
                    m[r] = _mm256_loadu_ps(M + (size_t)(r * 6 + c) * pstride +
                                           (size_t)t * CHUNK + j);
                at6(m, y);
                #pragma GCC unroll 8
                for (int r = 0; r < 4; r++)
                    tmp[r][c] = y[r];
            }
            __m256 bias = _mm256_loadu_ps(ep->bias + co);
            __m256 slope = ep->slope ? _mm256_loadu_ps(ep->slope + co) : _mm256_setzero_ps();
            /* Eight channels never straddle two sub-positions: out->c is a multiple of 16. */
            int s = 0, c = co, up = ep->shuffle;
            if (up) {
                s = co / out->c;
                c = co % out->c;
            }
            #pragma GCC unroll 8
            for (int r = 0; r < rows; r++) {
                __m256 y[4];
                at6(tmp[r], y);
                #pragma GCC unroll 8
                for (int q = 0; q < cols; q++) {
                    __m256 v = _mm256_add_ps(y[q], bias);
                    if (ep->slope) {
                        __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
                        v = _mm256_blendv_ps(v, _mm256_mul_ps(v, slope), neg);
                    }
                    float *dst;
                    if (up) {
                        dst = fmap_at(out, up * (y0 + r) + s / up, up * (x0 + q) + s % up) + c;
                    } else {
                        dst = fmap_at(out, y0 + r, x0 + q) + c;
                        if (ep->residual)
                            v = _mm256_add_ps(v, _mm256_loadu_ps(fmap_at(ep->residual, y0 + r,
                                                                         x0 + q) + c));
                    }
                    _mm256_storeu_ps(dst, v);
                }
            }
        }
    }
}

void winograd_conv3x3_avx2(const fmap *out, const fmap *in, const float *U, int cop,
                           const winograd_epilogue *ep, float *scratch, int ty0, int ty1)
{
    int cip = in->c, tiles_w = (in->w + 3) / 4;
    float *V = scratch, *M = scratch + (size_t)36 * TB * cip;
    for (int ty = ty0; ty < ty1; ty++) {
        for (int tx = 0; tx < tiles_w; tx += TB) {
            int n = tiles_w - tx < TB ? tiles_w - tx : TB;
            input_transform(V, (size_t)TB * cip, in, ty, tx, n, cip);
            for (int co0 = 0; co0 < cop; co0 += CHUNK) {
                int nb = (cop - co0 < CHUNK ? cop - co0 : CHUNK) / 16;
                gemm_block(nb, n, M, V, U, cip, cop, co0);
                output_transform(out, M, ty, tx, n, co0, cop, ep);
            }
        }
    }
}
