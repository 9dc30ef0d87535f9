/* prelu.c: the PReLU forward/backward pair (He et al. 2015). On AVX-512 each channel plane
 * goes to prelu_avx512.c: the loops below branch on each sign, and a mispredicted branch
 * per element made them a tenth of a training step. */
#include "cpu.h"
#include "layers.h"

void prelu_forward(float *out, const float *in, const prelu_layer *L, int c, size_t plane)
{
    int simd = cpu_has_avx512();
    for (int ch = 0; ch < c; ch++) {
        float a = L->slope[L->n == 1 ? 0 : ch];
        const float *x = in + ch * plane;
        float *y = out + ch * plane;
        if (simd) {
            prelu_plane_forward_avx512(y, x, a, plane);
            continue;
        }
        for (size_t i = 0; i < plane; i++)
            y[i] = x[i] >= 0.0f ? x[i] : a * x[i];
    }
}

void prelu_backward(float *dinp, float *dslope, const float *dout, const float *in,
                    const prelu_layer *L, int c, size_t plane)
{
    int simd = cpu_has_avx512();
    for (int ch = 0; ch < c; ch++) {
        int s = L->n == 1 ? 0 : ch;
        float a = L->slope[s];
        const float *x = in + ch * plane, *g = dout + ch * plane;
        float *dx = dinp + ch * plane;
        if (simd) {
            dslope[s] += (float)prelu_plane_backward_avx512(dx, g, x, a, plane);
            continue;
        }
        double ds = 0;
        for (size_t i = 0; i < plane; i++) {
            float gi = g[i];
            if (x[i] >= 0.0f) {
                dx[i] += gi;
            } else {
                ds += (double)gi * x[i];
                dx[i] += a * gi;
            }
        }
        dslope[s] += (float)ds;
    }
}
