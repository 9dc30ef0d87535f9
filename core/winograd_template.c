/* winograd_template.c: Winograd F(4x4, 3x3) convolution, written once on the vectors of
 * simd_avx512.h / simd_avx2.h and compiled for each by winograd_avx512.c and winograd_avx2.c
 * (which set GEMM_NV, WINOGRAD_BF16 and WINOGRAD_GRAD first). Every lane does the same
 * operations in the same order on either, so both give the same output bit for bit.
 *
 * Per block of output tiles of one tile row: (1) input transform V = B^T d B of every 6x6
 * input tile, VL channels at a time, into V[36][tiles][cip]; (2) for each of the 36
 * positions p, the GEMM M[p] = V[p] U[p] ([tiles x cip] x [cip x 64 outputs]) in panels of
 * GEMM_NV vectors with a 6 x GEMM_NV register tile; (3) output transform Y = A^T M A, then
 * the fused epilogue. Outputs go 64 channels at a time, so M stays small and V is reused
 * across output chunks.
 *
 * The weight gradient (last) runs the other way: V and the output gradient's A dY A^T of
 * 144 tiles at a time, then 36 OpenBLAS GEMMs dU[p] += V[p]^T dM[p], K = the tiles. */
#if WINOGRAD_GRAD
#include <cblas.h>
#endif
#include <stdint.h>
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
static inline vf g3(float c0, float c1, float c2, vf x0, vf x1, vf x2)
{
    return vf_fmadd(vf_set1(c2), x2, vf_fmadd(vf_set1(c1), x1, vf_mul(vf_set1(c0), x0)));
}

void ISA_NAME(winograd_weights)(float *U, const float *weight, int cin, int cout, int cip,
                                int cop, const int *perm)
{
    /* VL output channels at a time, a lane each, so U is written a vector at a time: one
     * channel at a time in double, this cost 4 % of a training step. */
    memset(U, 0, sizeof(float) * 36 * (size_t)cip * cop);
    for (int co0 = 0; co0 < cop; co0 += VL) {
        int first[VL], ok[VL];
        for (int l = 0; l < VL; l++) {
            int src = perm ? perm[co0 + l] : co0 + l;
            ok[l] = src >= 0 && src < cout; /* else a padding channel */
            first[l] = ok[l] ? src * cin * 9 : 0;
        }
        vi base = vi_loadu(first);
        vmask live = vmask_lanes(ok);
        for (int ci = 0; ci < cin; ci++) {
            vf g[9], t[6][3];
            #pragma GCC unroll 9
            for (int k = 0; k < 9; k++)
                g[k] = vf_gather(weight, vi_add1(base, ci * 9 + k), live);
            #pragma GCC unroll 6
            for (int i = 0; i < 6; i++) /* G g */
                #pragma GCC unroll 3
                for (int j = 0; j < 3; j++)
                    t[i][j] = g3(G[i][0], G[i][1], G[i][2], g[j], g[3 + j], g[6 + j]);
            #pragma GCC unroll 6
            for (int i = 0; i < 6; i++) /* (G g) G^T */
                #pragma GCC unroll 6
                for (int j = 0; j < 6; j++)
                    vf_storeu(U + ((size_t)(i * 6 + j) * cip + ci) * cop + co0,
                              g3(G[j][0], G[j][1], G[j][2], t[i][0], t[i][1], t[i][2]));
        }
    }
}

/* Scratch floats of V as bf16 (half as large as V), where there are bf16 products. */
#define VB_FLOATS(cip) (WINOGRAD_BF16 ? (size_t)18 * TB * (cip) : 0)

size_t ISA_NAME(winograd_scratch_floats)(int cip)
{
    return (size_t)36 * TB * cip + VB_FLOATS(cip) + (size_t)36 * TB * CHUNK; /* V, Vb, M */
}

/* B^T x for six vectors (one column or row of a tile). */
static inline void bt6(vf d0, vf d1, vf d2, vf d3, vf d4, vf d5, vf *o)
{
    const vf four = vf_set1(4.0f), five = vf_set1(5.0f), two = vf_set1(2.0f);
    vf t1 = vf_fnmadd(four, d2, d4); /* d4 - 4 d2 */
    vf t2 = vf_fnmadd(four, d1, d3); /* d3 - 4 d1 */
    vf t3 = vf_sub(d4, d2);
    vf t4 = vf_mul(two, vf_sub(d3, d1));
    o[0] = vf_add(vf_fnmadd(five, d2, vf_mul(four, d0)), d4);
    o[1] = vf_add(t1, t2);
    o[2] = vf_sub(t1, t2);
    o[3] = vf_add(t3, t4);
    o[4] = vf_sub(t3, t4);
    o[5] = vf_add(vf_fnmadd(five, d3, vf_mul(four, d1)), d5);
}

/* V[p][t][cb..cb + VL) (positions pstride floats apart) for tiles [tx0, tx0 + n) of tile
 * row ty. */
static void input_transform(float *V, size_t pstride, const fmap *in, int ty, int tx0, int n,
                            int cip)
{
    for (int t = 0; t < n; t++) {
        /* Tile rows 4ty-1 .. 4ty+4 and columns likewise; the border is zero. */
        const float *base = fmap_at(in, 4 * ty - 1, 4 * (tx0 + t) - 1);
        for (int cb = 0; cb < cip; cb += VL) {
            vf rows[6][6];
            #pragma GCC unroll 8
            for (int c = 0; c < 6; c++) {
                const float *col = base + (size_t)c * in->c + cb;
                vf d[6];
                #pragma GCC unroll 8
                for (int r = 0; r < 6; r++)
                    d[r] = vf_loadu(col + (size_t)r * in->row);
                vf o[6];
                bt6(d[0], d[1], d[2], d[3], d[4], d[5], o);
                #pragma GCC unroll 8
                for (int r = 0; r < 6; r++)
                    rows[r][c] = o[r];
            }
            #pragma GCC unroll 8
            for (int r = 0; r < 6; r++) {
                vf o[6];
                bt6(rows[r][0], rows[r][1], rows[r][2], rows[r][3], rows[r][4], rows[r][5], o);
                #pragma GCC unroll 8
                for (int c = 0; c < 6; c++)
                    vf_storeu(V + (size_t)(r * 6 + c) * pstride + (size_t)t * cip + cb, o[c]);
            }
        }
    }
}

/* M[t][0..VL NV) (R tiles) = sum_k V[t][k] U[k][0..VL NV); M rows are CHUNK apart. R and
 * NV are constants at every call, so the accumulators live in registers. */
static inline __attribute__((always_inline)) void gemm_tile(int R, int NV, float *M,
                                                            const float *V, const float *U,
                                                            int cip, int cop)
{
    vf acc[6][GEMM_NV], b[GEMM_NV];
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++)
        #pragma GCC unroll 8
        for (int j = 0; j < NV; j++)
            acc[r][j] = vf_zero();
    for (int k = 0; k < cip; k++) {
        const float *u = U + (size_t)k * cop;
        #pragma GCC unroll 8
        for (int j = 0; j < NV; j++)
            b[j] = vf_loadu(u + VL * j);
        #pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            vf a = vf_set1(V[(size_t)r * cip + k]);
            #pragma GCC unroll 8
            for (int j = 0; j < NV; j++)
                acc[r][j] = vf_fmadd(a, b[j], acc[r][j]);
        }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++)
        #pragma GCC unroll 8
        for (int j = 0; j < NV; j++)
            vf_storeu(M + (size_t)r * CHUNK + VL * j, acc[r][j]);
}

static inline __attribute__((always_inline)) void gemm_rows_nv(int NV, int n, float *M,
                                                               const float *V, const float *U,
                                                               int cip, int cop)
{
    int t = 0;
    for (; t + 6 <= n; t += 6)
        gemm_tile(6, NV, M + (size_t)t * CHUNK, V + (size_t)t * cip, U, cip, cop);
    M += (size_t)t * CHUNK;
    V += (size_t)t * cip;
    switch (n - t) {
    case 5: gemm_tile(5, NV, M, V, U, cip, cop); break;
    case 4: gemm_tile(4, NV, M, V, U, cip, cop); break;
    case 3: gemm_tile(3, NV, M, V, U, cip, cop); break;
    case 2: gemm_tile(2, NV, M, V, U, cip, cop); break;
    case 1: gemm_tile(1, NV, M, V, U, cip, cop); break;
    default: break;
    }
}

/* The 36 GEMMs of one block for output channels [co0, co0 + width): for each position, a
 * panel of GEMM_NV vectors of U at a time against all n tiles, so the panel and V[p] stay
 * in L1. */
static void gemm_block(int width, int n, float *M, const float *V, const float *U, int cip,
                       int cop, int co0)
{
    for (int p = 0; p < 36; p++)
        for (int b = 0; b < width; b += GEMM_NV * VL) {
            float *Mp = M + (size_t)p * TB * CHUNK + b;
            const float *Vp = V + (size_t)p * TB * cip, *Up = U + (size_t)p * cip * cop + co0 + b;
            /* A narrower panel ends a chunk only with panels of more than 2 vectors (widths
             * are multiples of 16 channels). */
            switch ((width - b) / VL) {
#if GEMM_NV > 2
            case 3: gemm_rows_nv(3, n, Mp, Vp, Up, cip, cop); break;
            case 2: gemm_rows_nv(2, n, Mp, Vp, Up, cip, cop); break;
            case 1: gemm_rows_nv(1, n, Mp, Vp, Up, cip, cop); break;
#endif
            default: gemm_rows_nv(GEMM_NV, n, Mp, Vp, Up, cip, cop); break;
            }
        }
}

/* A^T x for six vectors. */
static inline void at6(const vf *m, vf *y)
{
    const vf two = vf_set1(2.0f), four = vf_set1(4.0f), eight = vf_set1(8.0f);
    vf s12 = vf_add(m[1], m[2]), d12 = vf_sub(m[1], m[2]);
    vf s34 = vf_add(m[3], m[4]), d34 = vf_sub(m[3], m[4]);
    y[0] = vf_add(vf_add(m[0], s12), s34);
    y[1] = vf_fmadd(two, d34, d12);
    y[2] = vf_fmadd(four, s34, s12);
    y[3] = vf_add(vf_fmadd(eight, d34, d12), m[5]);
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
        for (int j = 0; j < CHUNK && co0 + j < cop; j += VL) {
            int co = co0 + j;
            vf tmp[4][6];
            #pragma GCC unroll 8
            for (int c = 0; c < 6; c++) {
                vf m[6], y[4];
                #pragma GCC unroll 8
                for (int r = 0; r < 6; r++)
                    m[r] = vf_loadu(M + (size_t)(r * 6 + c) * pstride + (size_t)t * CHUNK + j);
                at6(m, y);
                #pragma GCC unroll 8
                for (int r = 0; r < 4; r++)
                    tmp[r][c] = y[r];
            }
            vf bias = vf_loadu(ep->bias + co);
            vf slope = ep->slope ? vf_loadu(ep->slope + co) : vf_zero();
            /* A vector never straddles two sub-positions: out->c is a multiple of 16. */
            int s = 0, c = co, up = ep->shuffle;
            if (up) {
                s = co / out->c;
                c = co % out->c;
            }
            #pragma GCC unroll 8
            for (int r = 0; r < rows; r++) {
                vf y[4];
                at6(tmp[r], y);
                #pragma GCC unroll 8
                for (int q = 0; q < cols; q++) {
                    vf v = vf_add(y[q], bias);
                    if (ep->slope)
                        v = vf_prelu(v, slope);
                    float *dst;
                    if (up) {
                        dst = fmap_at(out, up * (y0 + r) + s / up, up * (x0 + q) + s % up) + c;
                    } else {
                        dst = fmap_at(out, y0 + r, x0 + q) + c;
                        if (ep->residual)
                            v = vf_add(v, vf_loadu(fmap_at(ep->residual, y0 + r, x0 + q) + c));
                    }
                    vf_storeu(dst, v);
                }
            }
        }
    }
}

#if WINOGRAD_BF16
/* ---- bf16 products (vdpbf16ps): two input channels per multiply-add ------------------- */

void winograd_weights_bf16(uint16_t *Ub, const float *U, int cip, int cop)
{
    /* Ub [36][cip/2][cop][2]: the pair (k, k+1) of every output channel side by side, the
     * operand layout of vdpbf16ps. Round to nearest even, as the hardware converts. */
    for (size_t p = 0; p < 36; p++)
        for (int k = 0; k < cip; k++)
            for (int co = 0; co < cop; co++) {
                float f = U[(p * cip + k) * cop + co];
                uint32_t x;
                memcpy(&x, &f, 4);
                x += 0x7fff + ((x >> 16) & 1);
                Ub[((p * (cip / 2) + k / 2) * cop + co) * 2 + (k & 1)] = (uint16_t)(x >> 16);
            }
}

__attribute__((target("avx512bf16"))) static void to_bf16(uint16_t *dst, const float *src,
                                                          size_t count)
{
    for (size_t i = 0; i < count; i += 32) {
        __m512bh h = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(src + i + 16), _mm512_loadu_ps(src + i));
        _mm512_storeu_si512(dst + i, (__m512i)h);
    }
}

__attribute__((target("avx512bf16"))) static inline __attribute__((always_inline)) void
gemm_tile_bf16(int R, int NV, float *M, const uint16_t *V, const uint16_t *U, int cip, int cop)
{
    __m512 acc[6][4];
    __m512bh b[4];
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++)
        #pragma GCC unroll 8
        for (int j = 0; j < NV; j++)
            acc[r][j] = _mm512_setzero_ps();
    for (int k = 0; k < cip; k += 2) {
        const uint16_t *u = U + (size_t)(k / 2) * cop * 2;
        #pragma GCC unroll 8
        for (int j = 0; j < NV; j++)
            b[j] = (__m512bh)_mm512_loadu_si512(u + 32 * j);
        #pragma GCC unroll 8
        for (int r = 0; r < R; r++) {
            uint32_t pair;
            memcpy(&pair, V + (size_t)r * cip + k, 4);
            __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
            #pragma GCC unroll 8
            for (int j = 0; j < NV; j++)
                acc[r][j] = _mm512_dpbf16_ps(acc[r][j], a, b[j]);
        }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++)
        #pragma GCC unroll 8
        for (int j = 0; j < NV; j++)
            _mm512_storeu_ps(M + (size_t)r * CHUNK + 16 * j, acc[r][j]);
}

__attribute__((target("avx512bf16"))) static inline __attribute__((always_inline)) void
gemm_rows_bf16(int NV, int n, float *M, const uint16_t *V, const uint16_t *U, int cip, int cop)
{
    int t = 0;
    for (; t + 6 <= n; t += 6)
        gemm_tile_bf16(6, NV, M + (size_t)t * CHUNK, V + (size_t)t * cip, U, cip, cop);
    M += (size_t)t * CHUNK;
    V += (size_t)t * cip;
    switch (n - t) {
    case 5: gemm_tile_bf16(5, NV, M, V, U, cip, cop); break;
    case 4: gemm_tile_bf16(4, NV, M, V, U, cip, cop); break;
    case 3: gemm_tile_bf16(3, NV, M, V, U, cip, cop); break;
    case 2: gemm_tile_bf16(2, NV, M, V, U, cip, cop); break;
    case 1: gemm_tile_bf16(1, NV, M, V, U, cip, cop); break;
    default: break;
    }
}

__attribute__((target("avx512bf16"))) static void gemm_block_bf16(int nv, int n, float *M,
                                                                  const uint16_t *V,
                                                                  const uint16_t *U, int cip,
                                                                  int cop, int co0)
{
    for (int p = 0; p < 36; p++) {
        float *Mp = M + (size_t)p * TB * CHUNK;
        const uint16_t *Vp = V + (size_t)p * TB * cip;
        const uint16_t *Up = U + (size_t)p * cip * cop + (size_t)co0 * 2;
        switch (nv) {
        case 4: gemm_rows_bf16(4, n, Mp, Vp, Up, cip, cop); break;
        case 3: gemm_rows_bf16(3, n, Mp, Vp, Up, cip, cop); break;
        case 2: gemm_rows_bf16(2, n, Mp, Vp, Up, cip, cop); break;
        default: gemm_rows_bf16(1, n, Mp, Vp, Up, cip, cop); break;
        }
    }
}

#endif

/* Both precisions: U is float [36][cip][cop], or bf16 pairs when `bf16` (WINOGRAD_BF16). */
static void convolve(const fmap *out, const fmap *in, const void *U, int cop,
                     const winograd_epilogue *ep, float *scratch, int ty0, int ty1, int bf16)
{
    int cip = in->c, tiles_w = (in->w + 3) / 4;
    float *V = scratch, *M = scratch + (size_t)36 * TB * cip + VB_FLOATS(cip);
#if WINOGRAD_BF16
    uint16_t *Vb = (uint16_t *)(scratch + (size_t)36 * TB * cip);
#endif
    for (int ty = ty0; ty < ty1; ty++) {
        for (int tx = 0; tx < tiles_w; tx += TB) {
            int n = tiles_w - tx < TB ? tiles_w - tx : TB;
            input_transform(V, (size_t)TB * cip, in, ty, tx, n, cip);
#if WINOGRAD_BF16
            if (bf16)
                to_bf16(Vb, V, (size_t)36 * TB * cip);
#endif
            for (int co0 = 0; co0 < cop; co0 += CHUNK) {
                int width = cop - co0 < CHUNK ? cop - co0 : CHUNK;
#if WINOGRAD_BF16
                if (bf16)
                    gemm_block_bf16(width / 16, n, M, Vb, U, cip, cop, co0);
                else
#endif
                    gemm_block(width, n, M, V, U, cip, cop, co0);
                output_transform(out, M, ty, tx, n, co0, cop, ep);
            }
        }
    }
}

void ISA_NAME(winograd_conv3x3)(const fmap *out, const fmap *in, const float *U, int cop,
                                const winograd_epilogue *ep, float *scratch, int ty0, int ty1)
{
    convolve(out, in, U, cop, ep, scratch, ty0, ty1, 0);
}

#if WINOGRAD_BF16
void winograd_conv3x3_bf16(const fmap *out, const fmap *in, const uint16_t *U, int cop,
                           const winograd_epilogue *ep, float *scratch, int ty0, int ty1)
{
    convolve(out, in, U, cop, ep, scratch, ty0, ty1, 1);
}
#endif

#if WINOGRAD_GRAD
/* ---- Weight gradient ------------------------------------------------------------------ */

#define GRAD_TILES 144 /* tiles whose transforms are gathered for one set of 36 GEMMs */

size_t ISA_NAME(winograd_grad_scratch_floats)(int cip, int cop)
{
    return (size_t)36 * GRAD_TILES * (cip + cop);
}

/* A y for four vectors (the transpose of at6): six. */
static inline void a6(const vf *y, vf *m)
{
    const vf two = vf_set1(2.0f), four = vf_set1(4.0f), eight = vf_set1(8.0f);
    vf s02 = vf_add(y[0], y[2]), s13 = vf_add(y[1], y[3]);
    vf e = vf_fmadd(four, y[2], y[0]);
    vf o = vf_fmadd(eight, y[3], vf_mul(two, y[1]));
    m[0] = y[0];
    m[1] = vf_add(s02, s13);
    m[2] = vf_sub(s02, s13);
    m[3] = vf_add(e, o);
    m[4] = vf_sub(e, o);
    m[5] = y[3];
}

/* dM[p][t][cb..cb + VL) = A dY A^T of the 4x4 output-gradient tiles [tx0, tx0 + n) of tile row
 * ty (positions pstride floats apart). */
static void grad_transform(float *dM, size_t pstride, const fmap *dout, int ty, int tx0, int n,
                           int cop)
{
    for (int t = 0; t < n; t++) {
        const float *base = fmap_at(dout, 4 * ty, 4 * (tx0 + t));
        for (int cb = 0; cb < cop; cb += VL) {
            vf cols[4][6];
            #pragma GCC unroll 8
            for (int c = 0; c < 4; c++) {
                vf y[4], m[6];
                #pragma GCC unroll 8
                for (int r = 0; r < 4; r++)
                    y[r] = vf_loadu(base + (size_t)r * dout->row + (size_t)c * dout->c + cb);
                a6(y, m);
                #pragma GCC unroll 8
                for (int r = 0; r < 6; r++)
                    cols[c][r] = m[r];
            }
            #pragma GCC unroll 8
            for (int r = 0; r < 6; r++) {
                vf y[4] = {cols[0][r], cols[1][r], cols[2][r], cols[3][r]}, m[6];
                a6(y, m);
                #pragma GCC unroll 8
                for (int c = 0; c < 6; c++)
                    vf_storeu(dM + (size_t)(r * 6 + c) * pstride + (size_t)t * cop + cb, m[c]);
            }
        }
    }
}

/* dU[p] = beta dU[p] + V[p]^T dM[p] over the n gathered tiles, for the 36 positions. */
static void grad_gemms(float *dU, const float *V, const float *dM, int n, int cip, int cop,
                       float beta)
{
    for (int p = 0; p < 36; p++)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, cip, cop, n, 1.0f,
                    V + (size_t)p * GRAD_TILES * cip, cip, dM + (size_t)p * GRAD_TILES * cop,
                    cop, beta, dU + (size_t)p * cip * cop, cop);
}

void ISA_NAME(winograd_weight_grad)(float *dU, const fmap *in, const fmap *dout, int cop,
                                    float *scratch, int ty0, int ty1)
{
    int cip = in->c, tw = (in->w + 3) / 4, n = 0;
    float *V = scratch, *dM = scratch + (size_t)36 * GRAD_TILES * cip;
    float beta = 0.0f; /* the first GEMMs overwrite dU */
    for (int ty = ty0; ty < ty1; ty++)
        for (int tx = 0; tx < tw;) {
            int take = tw - tx < GRAD_TILES - n ? tw - tx : GRAD_TILES - n;
            input_transform(V + (size_t)n * cip, (size_t)GRAD_TILES * cip, in, ty, tx, take, cip);
            grad_transform(dM + (size_t)n * cop, (size_t)GRAD_TILES * cop, dout, ty, tx, take,
                           cop);
            n += take;
            tx += take;
            if (n == GRAD_TILES) {
                grad_gemms(dU, V, dM, n, cip, cop, beta);
                beta = 1.0f;
                n = 0;
            }
        }
    if (n)
        grad_gemms(dU, V, dM, n, cip, cop, beta);
    else if (beta == 0.0f)
        memset(dU, 0, sizeof(float) * 36 * (size_t)cip * cop);
}

void ISA_NAME(winograd_weight_grad_oihw)(float *dweight, const float *dU, int cin, int cout,
                                         int cip, int cop)
{
    /* VL output channels at a time, a lane each, as winograd_weights. */
    for (int co0 = 0; co0 < cout; co0 += VL) {
        vmask live = vmask_first(cout - co0);
        int first[VL];
        for (int l = 0; l < VL; l++)
            first[l] = co0 + l < cout ? (co0 + l) * cin * 9 : 0;
        vi base = vi_loadu(first);
        for (int ci = 0; ci < cin; ci++) {
            vf t[3][6];
            #pragma GCC unroll 6
            for (int j = 0; j < 6; j++) { /* G^T dU, a column of dU at a time */
                vf u[6];
                #pragma GCC unroll 6
                for (int k = 0; k < 6; k++)
                    u[k] = vf_maskz_loadu(live, dU + ((size_t)(k * 6 + j) * cip + ci) * cop + co0);
                #pragma GCC unroll 3
                for (int i = 0; i < 3; i++)
                    t[i][j] = vf_add(g3(G[0][i], G[1][i], G[2][i], u[0], u[1], u[2]),
                                     g3(G[3][i], G[4][i], G[5][i], u[3], u[4], u[5]));
            }
            #pragma GCC unroll 3
            for (int i = 0; i < 3; i++) /* (G^T dU) G, added to OIHW weights */
                #pragma GCC unroll 3
                for (int j = 0; j < 3; j++) {
                    vf v = vf_add(g3(G[0][j], G[1][j], G[2][j], t[i][0], t[i][1], t[i][2]),
                                  g3(G[3][j], G[4][j], G[5][j], t[i][3], t[i][4], t[i][5]));
                    vi at = vi_add1(base, ci * 9 + i * 3 + j);
                    vf_scatter(dweight, at, live, vf_add(vf_gather(dweight, at, live), v));
                }
        }
    }
}
#endif
