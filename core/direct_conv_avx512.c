/* direct_conv_avx512.c: 9x9 head and tail convolutions, several output pixels per register
 * tile so each weight vector loaded serves them all. */
#include <immintrin.h>

#include "direct_conv.h"

/* P pixels along x, NV output vectors each; P and NV constant at each call. */
static inline __attribute__((always_inline)) void head_pixels(int P, int NV, const fmap *out,
                                                              const fmap *in, const float *w,
                                                              const float *bias,
                                                              const float *slope, int y, int x,
                                                              int co0)
{
    int cop = out->c;
    __m512 acc[4][4];
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            acc[p][v] = _mm512_loadu_ps(bias + co0 + 16 * v);
    for (int ky = 0; ky < 9; ky++) {
        const float *row = fmap_at(in, y + ky - 4, x - 4);
        for (int kx = 0; kx < 9; kx++) {
            for (int ci = 0; ci < 3; ci++) {
                const float *wk = w + ((size_t)(ky * 9 + kx) * 3 + ci) * cop + co0;
                __m512 wv[4];
                #pragma GCC unroll 8
                for (int v = 0; v < NV; v++)
                    wv[v] = _mm512_loadu_ps(wk + 16 * v);
                #pragma GCC unroll 8
                for (int p = 0; p < P; p++) {
                    __m512 a = _mm512_set1_ps(row[(size_t)(kx + p) * in->c + ci]);
                    #pragma GCC unroll 8
                    for (int v = 0; v < NV; v++)
                        acc[p][v] = _mm512_fmadd_ps(a, wv[v], acc[p][v]);
                }
            }
        }
    }
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++) {
            __m512 s = _mm512_loadu_ps(slope + co0 + 16 * v), a = acc[p][v];
            __mmask16 neg = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ);
            _mm512_storeu_ps(fmap_at(out, y, x + p) + co0 + 16 * v,
                             _mm512_mask_mul_ps(a, neg, a, s));
        }
}

void head_conv9x9(const fmap *out, const fmap *in, const float *w, const float *bias,
                  const float *slope, int y0, int y1)
{
    for (int y = y0; y < y1; y++)
        for (int co0 = 0; co0 < out->c; co0 += 64) {
            int nv = (out->c - co0 < 64 ? out->c - co0 : 64) / 16, x = 0;
#define HEAD(P)                                                                                \
    switch (nv) {                                                                              \
    case 4: head_pixels(P, 4, out, in, w, bias, slope, y, x, co0); break;                      \
    case 3: head_pixels(P, 3, out, in, w, bias, slope, y, x, co0); break;                      \
    case 2: head_pixels(P, 2, out, in, w, bias, slope, y, x, co0); break;                      \
    default: head_pixels(P, 1, out, in, w, bias, slope, y, x, co0); break;                     \
    }
            for (; x + 4 <= out->w; x += 4)
                HEAD(4)
            for (; x < out->w; x++)
                HEAD(1)
#undef HEAD
        }
}

/* R output rows x P pixels x 3 outputs, each accumulator summing 16 input channels per
 * lane (reduced at the end). Every input vector loaded serves R rows and 3 outputs; every
 * weight vector P pixels. R, P constant at each call. */
static inline __attribute__((always_inline)) void tail_block(int R, int P, float *out,
                                                             size_t plane, const fmap *in,
                                                             const float *w, const float *bias,
                                                             int y, int x)
{
    int cip = in->c;
    size_t co_stride = (size_t)81 * cip;
    __m512 acc[2][4][3];
#pragma GCC unroll 8
    for (int q = 0; q < R; q++)
#pragma GCC unroll 8
        for (int p = 0; p < P; p++)
#pragma GCC unroll 8
            for (int co = 0; co < 3; co++)
                acc[q][p][co] = _mm512_setzero_ps();
    for (int r = 0; r < 8 + R; r++) { /* input rows y - 4 .. y + 3 + R */
        const float *row = fmap_at(in, y - 4 + r, x - 4);
        for (int kx = 0; kx < 9; kx++) {
            const float *src = row + (size_t)kx * in->c;
            for (int cb = 0; cb < cip; cb += 16) {
                __m512 a[4];
#pragma GCC unroll 8
                for (int p = 0; p < P; p++) {
                    a[p] = _mm512_load_ps(src + (size_t)p * in->c + cb);
                    __asm__("" : "+v"(a[p])); /* keep it in a register: it serves 3R FMAs */
                }
#pragma GCC unroll 8
                for (int q = 0; q < R; q++) {
                    int ky = r - q;
                    if (ky < 0 || ky > 8)
                        continue;
                    const float *wk = w + (size_t)(ky * 9 + kx) * cip + cb;
                    __m512 w0 = _mm512_load_ps(wk), w1 = _mm512_load_ps(wk + co_stride),
                           w2 = _mm512_load_ps(wk + 2 * co_stride);
#pragma GCC unroll 8
                    for (int p = 0; p < P; p++) {
                        acc[q][p][0] = _mm512_fmadd_ps(a[p], w0, acc[q][p][0]);
                        acc[q][p][1] = _mm512_fmadd_ps(a[p], w1, acc[q][p][1]);
                        acc[q][p][2] = _mm512_fmadd_ps(a[p], w2, acc[q][p][2]);
                    }
                }
            }
        }
    }
#pragma GCC unroll 8
    for (int q = 0; q < R; q++)
#pragma GCC unroll 8
        for (int p = 0; p < P; p++)
#pragma GCC unroll 8
            for (int co = 0; co < 3; co++)
                out[co * plane + (size_t)(y + q) * in->w + x + p] =
                    _mm512_reduce_add_ps(acc[q][p][co]) + bias[co];
}

/* Column strips keep the ten input rows a block reads in L2 while rows advance. */
#define TAIL_STRIP 64

void tail_conv9x9(float *out, const fmap *in, const float *w, const float *bias, int y0,
                  int y1)
{
    size_t plane = (size_t)in->h * in->w;
    for (int xs = 0; xs < in->w; xs += TAIL_STRIP) {
        int xe = xs + TAIL_STRIP < in->w ? xs + TAIL_STRIP : in->w;
        int y = y0;
        for (; y + 2 <= y1; y += 2) {
            int x = xs;
            for (; x + 4 <= xe; x += 4)
                tail_block(2, 4, out, plane, in, w, bias, y, x);
            for (; x < xe; x++)
                tail_block(2, 1, out, plane, in, w, bias, y, x);
        }
        for (; y < y1; y++) {
            int x = xs;
            for (; x + 4 <= xe; x += 4)
                tail_block(1, 4, out, plane, in, w, bias, y, x);
            for (; x < xe; x++)
                tail_block(1, 1, out, plane, in, w, bias, y, x);
        }
    }
}

/* NV input-channel vectors per pass; 3 NV accumulators live across a whole row of pixels. */
static inline __attribute__((always_inline)) void tail_grad_row(int NV, float *dw,
                                                                const float *d0,
                                                                const float *d1,
                                                                const float *d2, const fmap *in,
                                                                int y, int cb)
{
    int cip = in->c, w = in->w;
    for (int ky = 0; ky < 9; ky++) {
        const float *row = fmap_at(in, y + ky - 4, -4) + cb;
        for (int kx = 0; kx < 9; kx++) {
            float *acc_at = dw + (size_t)(ky * 9 + kx) * cip + cb;
            size_t co_stride = (size_t)81 * cip;
            __m512 acc[3][4];
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
#pragma GCC unroll 3
                for (int co = 0; co < 3; co++)
                    acc[co][v] = _mm512_load_ps(acc_at + co * co_stride + 16 * v);
            const float *src = row + (size_t)kx * cip;
            for (int x = 0; x < w; x++, src += cip) {
                __m512 g0 = _mm512_set1_ps(d0[x]), g1 = _mm512_set1_ps(d1[x]),
                       g2 = _mm512_set1_ps(d2[x]);
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++) {
                    __m512 a = _mm512_load_ps(src + 16 * v);
                    acc[0][v] = _mm512_fmadd_ps(g0, a, acc[0][v]);
                    acc[1][v] = _mm512_fmadd_ps(g1, a, acc[1][v]);
                    acc[2][v] = _mm512_fmadd_ps(g2, a, acc[2][v]);
                }
            }
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
#pragma GCC unroll 3
                for (int co = 0; co < 3; co++)
                    _mm512_store_ps(acc_at + co * co_stride + 16 * v, acc[co][v]);
        }
    }
}

void tail_weight_grad(float *dw, const float *dout, const fmap *in, int y0, int y1)
{
    size_t plane = (size_t)in->h * in->w;
    for (int y = y0; y < y1; y++) {
        const float *d0 = dout + (size_t)y * in->w, *d1 = d0 + plane, *d2 = d1 + plane;
        for (int cb = 0; cb < in->c; cb += 64) {
            switch ((in->c - cb < 64 ? in->c - cb : 64) / 16) {
            case 4: tail_grad_row(4, dw, d0, d1, d2, in, y, cb); break;
            case 3: tail_grad_row(3, dw, d0, d1, d2, in, y, cb); break;
            case 2: tail_grad_row(2, dw, d0, d1, d2, in, y, cb); break;
            default: tail_grad_row(1, dw, d0, d1, d2, in, y, cb); break;
            }
        }
    }
}
