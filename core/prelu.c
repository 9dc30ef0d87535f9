/* prelu.c: the PReLU forward/backward pair (He et al. 2015). On AVX-512, or AVX2 + FMA, each
 * channel plane goes to the vector kernels (prelu_template.c): the loops below branch on each
 * sign, and a mispredicted branch per element made them a tenth of a training step. */
#include "cpu.h"
#include "layers.h"

typedef void plane_forward_fn(float *y, const float *x, float a, size_t n);
typedef double plane_backward_fn(float *dx, const float *g, const float *x, float a, size_t n);

/* The plane kernels this CPU runs, or NULL: the loops below. */
static plane_forward_fn *plane_forward(void)
{
    return cpu_has_avx512()     ? prelu_plane_forward
           : cpu_has_avx2_fma() ? prelu_plane_forward_avx2
                                : NULL;
}

static plane_backward_fn *plane_backward(void)
{
    return cpu_has_avx512()     ? prelu_plane_backward
           : cpu_has_avx2_fma() ? prelu_plane_backward_avx2
                                : NULL;
}

void prelu_forward(float *out, const float *in, const prelu_layer *L, int c, size_t plane)
{
    plane_forward_fn *simd = plane_forward();
    for (int ch = 0; ch < c; ch++) {
        float a = L->slope[L->n == 1 ? 0 : ch];
        const float *x = in + ch * plane;
        float *y = out + ch * plane;
        if (simd) {
            simd(y, x, a, plane);
            continue;
        }
        for (size_t i = 0; i < plane; i++)
            y[i] = x[i] >= 0.0f ? x[i] : a * x[i];
    }
}

void prelu_backward(float *dinp, float *dslope, const float *dout, const float *in,
                    const prelu_layer *L, int c, size_t plane)
{
    plane_backward_fn *simd = plane_backward();
    for (int ch = 0; ch < c; ch++) {
        int s = L->n == 1 ? 0 : ch;
        float a = L->slope[s];
        const float *x = in + ch * plane, *g = dout + ch * plane;
        float *dx = dinp + ch * plane;
        if (simd) {
            dslope[s] += (float)simd(dx, g, x, a, plane);
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
