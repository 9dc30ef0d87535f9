/* tail_winograd_template.c: the 9x9 tail in Winograd F(3x3, 3x3) (tail_winograd.h), written
 * once on the vectors of simd_avx512.h / simd_avx2.h and compiled for each by
 * tail_winograd_avx512.c and tail_winograd_avx2.c, which set the register tile TW_TILES.
 *
 * Column strips of TW_STRIP output tiles, and down each strip a ring of three tile rows:
 * (1) the input transform V = B^T d B of the next row's tiles (and one each side), VL
 * channels at a time, into V[25][tiles][cip]; (2) for each of the 25 positions p, every
 * tile's M[p] for the 3 outputs, summed over the nine neighbour tiles and the channels,
 * TW_TILES tiles at a time so each weight vector loaded serves them all, the lanes still
 * apart; (3) the output transform Y = A^T M A, still per lane (it is linear), then each
 * lane sum and the bias. */
#include "tail_winograd.h"

#define TW_STRIP 16 /* output tiles per column strip */
#define TW_SPAN (TW_STRIP + 2)

size_t ISA_NAME(tail_winograd_scratch_floats)(int cip)
{
    return (size_t)3 * 25 * TW_SPAN * cip + (size_t)TW_STRIP * 25 * 3 * VL; /* ring, M */
}

/* B^T d for five vectors (points 0, 1, -1, 2, infinity). */
static inline void bt5(vf d0, vf d1, vf d2, vf d3, vf d4, vf *o)
{
    const vf two = vf_set1(2.0f), three = vf_set1(3.0f);
    vf t = vf_sub(d3, d1);
    o[0] = vf_fmadd(two, vf_sub(d0, d2), t);
    o[1] = vf_sub(t, vf_add(d1, d2));
    o[2] = vf_fmadd(three, vf_sub(d1, d2), t);
    o[3] = t;
    o[4] = vf_fnmadd(two, t, vf_sub(d4, d2));
}

/* A^T m for five vectors: three. */
static inline void at5(const vf *m, vf *y)
{
    const vf two = vf_set1(2.0f), four = vf_set1(4.0f);
    vf s = vf_add(m[1], m[2]), d = vf_sub(m[1], m[2]);
    y[0] = vf_add(vf_add(m[0], s), m[3]);
    y[1] = vf_fmadd(two, m[3], d);
    y[2] = vf_add(vf_fmadd(four, m[3], s), m[4]);
}

/* V[p][k][c] (positions pstride floats apart) for the n tiles from tile column tx0 of tile
 * row ty. */
static void input_transform(float *V, size_t pstride, const fmap *in, int ty, int tx0, int n,
                            int oy, int ox)
{
    int cip = in->c;
    for (int k = 0; k < n; k++) {
        const float *base = fmap_at(in, 3 * ty - oy - 1, 3 * (tx0 + k) - ox - 1);
        for (int cb = 0; cb < cip; cb += VL) {
            vf rows[5][5];
            #pragma GCC unroll 5
            for (int c = 0; c < 5; c++) {
                const float *col = base + (size_t)c * cip + cb;
                vf o[5];
                bt5(vf_loadu(col), vf_loadu(col + in->row), vf_loadu(col + 2 * in->row),
                    vf_loadu(col + 3 * in->row), vf_loadu(col + 4 * in->row), o);
                #pragma GCC unroll 5
                for (int r = 0; r < 5; r++)
                    rows[r][c] = o[r];
            }
            #pragma GCC unroll 5
            for (int r = 0; r < 5; r++) {
                vf o[5];
                bt5(rows[r][0], rows[r][1], rows[r][2], rows[r][3], rows[r][4], o);
                #pragma GCC unroll 5
                for (int c = 0; c < 5; c++)
                    vf_storeu(V + (size_t)(r * 5 + c) * pstride + (size_t)k * cip + cb, o[c]);
            }
        }
    }
}

/* M[k0 + t][p][co] (vectors) for R tiles from k0: the sum over the neighbours (a, b), whose
 * transforms are tile k0 + t + b of rows V[a], and the channels. Up: U[p]. R constant at
 * each call. */
static inline __attribute__((always_inline)) void products(int R, float *M, const float *V[3],
                                                           const float *Up, int cip, int k0,
                                                           int p)
{
    vf acc[TW_TILES][3];
    #pragma GCC unroll 8
    for (int t = 0; t < R; t++)
        acc[t][0] = acc[t][1] = acc[t][2] = vf_zero();
    for (int ab = 0; ab < 9; ab++) {
        const float *u = Up + (size_t)ab * 3 * cip;
        const float *v = V[ab / 3] + (size_t)(k0 + ab % 3) * cip;
        for (int cb = 0; cb < cip; cb += VL) {
            vf u0 = vf_load(u + cb), u1 = vf_load(u + cip + cb), u2 = vf_load(u + 2 * cip + cb);
            #pragma GCC unroll 8
            for (int t = 0; t < R; t++) {
                vf x = vf_keep(vf_loadu(v + (size_t)t * cip + cb));
                acc[t][0] = vf_fmadd(x, u0, acc[t][0]);
                acc[t][1] = vf_fmadd(x, u1, acc[t][1]);
                acc[t][2] = vf_fmadd(x, u2, acc[t][2]);
            }
        }
    }
    #pragma GCC unroll 8
    for (int t = 0; t < R; t++)
        #pragma GCC unroll 3
        for (int co = 0; co < 3; co++)
            vf_store(M + (((size_t)(k0 + t) * 25 + p) * 3 + co) * VL, acc[t][co]);
}

/* Y = A^T M A of each output of tile k, summed over the lanes, into out. */
static void output_transform(float *out, const fmap *in, const float *M, const float *bias,
                             int ty, int tx, int k, int oy, int ox)
{
    size_t plane = (size_t)in->h * in->w;
    int y0 = 3 * ty - oy, x0 = 3 * (tx + k) - ox;
    for (int co = 0; co < 3; co++) {
        vf tmp[3][5];
        #pragma GCC unroll 5
        for (int c = 0; c < 5; c++) {
            vf m[5], y[3];
            #pragma GCC unroll 5
            for (int r = 0; r < 5; r++)
                m[r] = vf_load(M + (((size_t)k * 25 + r * 5 + c) * 3 + co) * VL);
            at5(m, y);
            tmp[0][c] = y[0], tmp[1][c] = y[1], tmp[2][c] = y[2];
        }
        for (int r = 0; r < 3; r++) {
            if (y0 + r < 0 || y0 + r >= in->h)
                continue;
            vf y[3];
            at5(tmp[r], y);
            float *row = out + co * plane + (size_t)(y0 + r) * in->w;
            for (int q = 0; q < 3; q++)
                if (x0 + q >= 0 && x0 + q < in->w)
                    row[x0 + q] = vf_reduce_add(y[q]) + bias[co];
        }
    }
}

void ISA_NAME(tail_winograd)(float *out, const fmap *in, const float *U, const float *bias,
                             int oy, int ox, float *scratch, int ty0, int ty1)
{
    int cip = in->c, tiles_w = (in->w + ox + 2) / 3;
    size_t pstride = (size_t)TW_SPAN * cip, ring = 25 * pstride;
    float *M = scratch + 3 * ring;
    for (int tx = 0; tx < tiles_w; tx += TW_STRIP) {
        int n = tiles_w - tx < TW_STRIP ? tiles_w - tx : TW_STRIP;
        /* Ring slot (t + 3) % 3 holds tiles tx - 1 .. tx + n of tile row t. */
        for (int t = ty0 - 1; t <= ty1; t++) {
            input_transform(scratch + (size_t)((t + 3) % 3) * ring, pstride, in, t, tx - 1,
                            n + 2, oy, ox);
            int ty = t - 1; /* the row whose three neighbour rows are in */
            if (ty < ty0)
                continue;
            for (int p = 0; p < 25; p++) {
                const float *V[3], *Up = U + (size_t)p * 9 * 3 * cip;
                for (int a = 0; a < 3; a++)
                    V[a] = scratch + (size_t)((ty + a - 1 + 3) % 3) * ring + p * pstride;
                int k = 0;
                for (; k + TW_TILES <= n; k += TW_TILES)
                    products(TW_TILES, M, V, Up, cip, k, p);
                for (; k < n; k++)
                    products(1, M, V, Up, cip, k, p);
            }
            for (int k = 0; k < n; k++)
                output_transform(out, in, M, bias, ty, tx, k, oy, ox);
        }
    }
}
