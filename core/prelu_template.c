/* prelu_template.c: one channel plane of the PReLU pair, VL floats a step (layers.h); compiled
 * by prelu_avx512.c and prelu_avx2.c on their vector layers. */
#include "layers.h"

/* The mask of the n - i floats left, at most a vector's. */
static inline vmask rest(size_t n, size_t i)
{
    return vmask_first(n - i >= VL ? VL : (int)(n - i));
}

void ISA_NAME(prelu_plane_forward)(float *y, const float *x, float a, size_t n)
{
    vf va = vf_set1(a);
    for (size_t i = 0; i < n; i += VL) {
        vmask m = rest(n, i);
        vf_mask_storeu(y + i, m, vf_prelu(vf_maskz_loadu(m, x + i), va));
    }
}

double ISA_NAME(prelu_plane_backward)(float *dx, const float *g, const float *x, float a, size_t n)
{
    vf va = vf_set1(a);
    vdsum ds = vdsum_zero();
    for (size_t i = 0; i < n; i += VL) {
        vmask m = rest(n, i);
        vf vx = vf_maskz_loadu(m, x + i), vg = vf_maskz_loadu(m, g + i);
        vmask neg = vf_negative(vx);
        vf d = vf_mask_mul(vg, neg, va);
        vf_mask_storeu(dx + i, m, vf_add(vf_maskz_loadu(m, dx + i), d));
        vdsum_add(&ds, vf_maskz_mul(neg, vg, vx));
    }
    return vdsum_total(ds);
}
