/* direct_conv_template.c: 9x9 head and tail convolutions, several output pixels per register
 * tile so each weight vector loaded serves them all; written once on the vectors of
 * simd_avx512.h / simd_avx2.h and compiled for each by direct_conv_avx512.c and
 * direct_conv_avx2.c, which set the register tiles (HEAD_PIXELS x HEAD_NV, TAIL_ROWS x
 * TAIL_PIXELS) and TAIL_GRAD first. The head gives the same output bit for bit on either;
 * the tail sums VL channels per lane and then the lanes, so its last bits differ. */
#include "direct_conv.h"

/* P pixels along x, NV output vectors each; P and NV constant at each call. */
static inline __attribute__((always_inline)) void head_pixels(int P, int NV, const fmap *out,
                                                              const fmap *in, const float *w,
                                                              const float *bias,
                                                              const float *slope, int y, int x,
                                                              int co0)
{
    int cop = out->c;
    vf acc[HEAD_PIXELS][HEAD_NV];
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            acc[p][v] = vf_loadu(bias + co0 + VL * v);
    for (int ky = 0; ky < 9; ky++) {
        const float *row = fmap_at(in, y + ky - 4, x - 4);
        for (int kx = 0; kx < 9; kx++) {
            for (int ci = 0; ci < 3; ci++) {
                const float *wk = w + ((size_t)(ky * 9 + kx) * 3 + ci) * cop + co0;
                vf wv[HEAD_NV];
                #pragma GCC unroll 8
                for (int v = 0; v < NV; v++)
                    wv[v] = vf_loadu(wk + VL * v);
                #pragma GCC unroll 8
                for (int p = 0; p < P; p++) {
                    vf a = vf_set1(row[(size_t)(kx + p) * in->c + ci]);
                    #pragma GCC unroll 8
                    for (int v = 0; v < NV; v++)
                        acc[p][v] = vf_fmadd(a, wv[v], acc[p][v]);
                }
            }
        }
    }
    #pragma GCC unroll 8
    for (int p = 0; p < P; p++)
        #pragma GCC unroll 8
        for (int v = 0; v < NV; v++)
            vf_storeu(fmap_at(out, y, x + p) + co0 + VL * v,
                      vf_prelu(acc[p][v], vf_loadu(slope + co0 + VL * v)));
}

/* head_pixels on nv <= HEAD_NV vectors, NV a constant in each case. Narrower tiles than
 * HEAD_NV end a channel range only with more than 2 (out->c is a multiple of 16). */
static inline __attribute__((always_inline)) void head_pixels_nv(int P, int nv, const fmap *out,
                                                                 const fmap *in, const float *w,
                                                                 const float *bias,
                                                                 const float *slope, int y,
                                                                 int x, int co0)
{
    switch (nv) {
#if HEAD_NV > 2
    case 3: head_pixels(P, 3, out, in, w, bias, slope, y, x, co0); break;
    case 2: head_pixels(P, 2, out, in, w, bias, slope, y, x, co0); break;
    case 1: head_pixels(P, 1, out, in, w, bias, slope, y, x, co0); break;
#endif
    default: head_pixels(P, HEAD_NV, out, in, w, bias, slope, y, x, co0); break;
    }
}

void ISA_NAME(head_conv9x9)(const fmap *out, const fmap *in, const float *w, const float *bias,
                            const float *slope, int y0, int y1)
{
    const int step = HEAD_NV * VL;
    for (int y = y0; y < y1; y++)
        for (int co0 = 0; co0 < out->c; co0 += step) {
            int nv = (out->c - co0 < step ? out->c - co0 : step) / VL, x = 0;
            for (; x + HEAD_PIXELS <= out->w; x += HEAD_PIXELS)
                head_pixels_nv(HEAD_PIXELS, nv, out, in, w, bias, slope, y, x, co0);
            for (; x < out->w; x++)
                head_pixels_nv(1, nv, out, in, w, bias, slope, y, x, co0);
        }
}

/* R output rows x P pixels x 3 outputs, each accumulator summing VL input channels per
 * lane (reduced at the end). Every input vector loaded serves R rows and 3 outputs; every
 * weight vector P pixels. R, P constant at each call. */
static inline __attribute__((always_inline)) void tail_block(int R, int P, float *out,
                                                             size_t plane, const fmap *in,
                                                             const float *w, const float *bias,
                                                             int y, int x)
{
    int cip = in->c;
    size_t co_stride = (size_t)81 * cip;
    vf acc[TAIL_ROWS][TAIL_PIXELS][3];
#pragma GCC unroll 8
    for (int q = 0; q < R; q++)
#pragma GCC unroll 8
        for (int p = 0; p < P; p++)
#pragma GCC unroll 8
            for (int co = 0; co < 3; co++)
                acc[q][p][co] = vf_zero();
    for (int r = 0; r < 8 + R; r++) { /* input rows y - 4 .. y + 3 + R */
        /* Output row y + q takes input row r through kernel row r - q, if any. */
        int q0 = r > 8 ? r - 8 : 0, q1 = r < R - 1 ? r : R - 1;
        const float *src = fmap_at(in, y - 4 + r, x - 4);
        const float *wr = w + (size_t)(r - q0) * 9 * cip;
        for (int kx = 0; kx < 9; kx++, src += cip, wr += cip) {
            for (int cb = 0; cb < cip; cb += VL) {
                /* Inputs that serve several rows are loaded once and kept in registers; for
                 * one row, the three weight vectors are kept and the inputs streamed (on 16
                 * registers the inputs held left the weights in memory, 15 % slower). */
                vf a[TAIL_PIXELS];
#pragma GCC unroll 8
                for (int p = 0; p < P && R > 1; p++)
                    a[p] = vf_load(src + (size_t)p * cip + cb);
#pragma GCC unroll 8
                for (int q = 0; q < R; q++) {
                    if (q < q0 || q > q1)
                        continue;
                    const float *wk = wr - (size_t)(q - q0) * 9 * cip + cb;
                    vf w0 = vf_load(wk), w1 = vf_load(wk + co_stride),
                       w2 = vf_load(wk + 2 * co_stride);
#pragma GCC unroll 8
                    for (int p = 0; p < P; p++) {
                        vf in_p = R > 1 ? a[p] : vf_load(src + (size_t)p * cip + cb);
                        acc[q][p][0] = vf_fmadd(in_p, w0, acc[q][p][0]);
                        acc[q][p][1] = vf_fmadd(in_p, w1, acc[q][p][1]);
                        acc[q][p][2] = vf_fmadd(in_p, w2, acc[q][p][2]);
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
                    vf_reduce_add(acc[q][p][co]) + bias[co];
}

/* R rows of one column strip [xs, xe). */
static inline __attribute__((always_inline)) void tail_strip_rows(int R, float *out,
                                                                  size_t plane, const fmap *in,
                                                                  const float *w,
                                                                  const float *bias, int y,
                                                                  int xs, int xe)
{
    int x = xs;
    for (; x + TAIL_PIXELS <= xe; x += TAIL_PIXELS)
        tail_block(R, TAIL_PIXELS, out, plane, in, w, bias, y, x);
    for (; x < xe; x++)
        tail_block(R, 1, out, plane, in, w, bias, y, x);
}

/* Column strips keep the input rows a block reads in L2 while rows advance. */
#define TAIL_STRIP 64

void ISA_NAME(tail_conv9x9)(float *out, const fmap *in, const float *w, const float *bias,
                            int y0, int y1)
{
    size_t plane = (size_t)in->h * in->w;
    for (int xs = 0; xs < in->w; xs += TAIL_STRIP) {
        int xe = xs + TAIL_STRIP < in->w ? xs + TAIL_STRIP : in->w;
        int y = y0;
        for (; y + TAIL_ROWS <= y1; y += TAIL_ROWS)
            tail_strip_rows(TAIL_ROWS, out, plane, in, w, bias, y, xs, xe);
        for (; y < y1; y++)
            tail_strip_rows(1, out, plane, in, w, bias, y, xs, xe);
    }
}

#if TAIL_GRAD
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
            vf acc[3][4];
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
#pragma GCC unroll 3
                for (int co = 0; co < 3; co++)
                    acc[co][v] = vf_load(acc_at + co * co_stride + VL * v);
            const float *src = row + (size_t)kx * cip;
            for (int x = 0; x < w; x++, src += cip) {
                vf g0 = vf_set1(d0[x]), g1 = vf_set1(d1[x]), g2 = vf_set1(d2[x]);
#pragma GCC unroll 4
                for (int v = 0; v < NV; v++) {
                    vf a = vf_load(src + VL * v);
                    acc[0][v] = vf_fmadd(g0, a, acc[0][v]);
                    acc[1][v] = vf_fmadd(g1, a, acc[1][v]);
                    acc[2][v] = vf_fmadd(g2, a, acc[2][v]);
                }
            }
#pragma GCC unroll 4
            for (int v = 0; v < NV; v++)
#pragma GCC unroll 3
                for (int co = 0; co < 3; co++)
                    vf_store(acc_at + co * co_stride + VL * v, acc[co][v]);
        }
    }
}

void ISA_NAME(tail_weight_grad)(float *dw, const float *dout, const fmap *in, int y0, int y1)
{
    const int step = 4 * VL; /* 3 x 4 accumulators, 3 broadcasts and an input vector */
    size_t plane = (size_t)in->h * in->w;
    for (int y = y0; y < y1; y++) {
        const float *d0 = dout + (size_t)y * in->w, *d1 = d0 + plane, *d2 = d1 + plane;
        for (int cb = 0; cb < in->c; cb += step) {
            switch ((in->c - cb < step ? in->c - cb : step) / VL) {
            case 3: tail_grad_row(3, dw, d0, d1, d2, in, y, cb); break;
            case 2: tail_grad_row(2, dw, d0, d1, d2, in, y, cb); break;
            case 1: tail_grad_row(1, dw, d0, d1, d2, in, y, cb); break;
            default: tail_grad_row(4, dw, d0, d1, d2, in, y, cb); break;
            }
        }
    }
}
#endif
