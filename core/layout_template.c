/* layout_template.c: the row conversions of layout.h, written once on the vectors of
 * simd_avx512.h / simd_avx2.h and compiled by layout_avx512.c and layout_avx2.c: a block of
 * 16 channels is 16 / VL groups of VL, each turned by a VL x VL register transpose. */
#include "layout.h"

/* Every loop over a group's VL rows is unrolled so that the group stays in registers:
 * indexed by a loop variable, the compiler kept it in memory, which took two to four times
 * as long. */
#define UNROLL _Pragma("GCC unroll 16")

void ISA_NAME(layout_block_to_pixels)(float *pixels, int stride, const float *planes, size_t plane,
                                      int c, int w)
{
    vf r[VL];
    for (int x0 = 0; x0 < w; x0 += VL) {
        int xw = w - x0 < VL ? w - x0 : VL;
        vmask xm = vmask_first(xw);
        for (int g = 0; g < 16; g += VL) {
            UNROLL
            for (int k = 0; k < VL; k++)
                r[k] = g + k < c ? vf_maskz_loadu(xm, planes + (g + k) * plane + x0) : vf_zero();
            vf_transpose(r);
            UNROLL
            for (int p = 0; p < VL; p++)
                if (p < xw)
                    vf_storeu(pixels + (size_t)(x0 + p) * stride + g, r[p]);
        }
    }
}

void ISA_NAME(layout_block_to_planes)(float *planes, size_t plane, const float *pixels, int stride,
                                      int c, int w, int accumulate)
{
    vf r[VL];
    for (int x0 = 0; x0 < w; x0 += VL) {
        int xw = w - x0 < VL ? w - x0 : VL;
        vmask xm = vmask_first(xw);
        for (int g = 0; g < c; g += VL) {
            UNROLL
            for (int p = 0; p < VL; p++)
                r[p] = p < xw ? vf_loadu(pixels + (size_t)(x0 + p) * stride + g) : vf_zero();
            vf_transpose(r);
            UNROLL
            for (int k = 0; k < VL; k++) {
                if (g + k >= c)
                    break;
                float *d = planes + (g + k) * plane + x0;
                vf v = accumulate ? vf_add(vf_maskz_loadu(xm, d), r[k]) : r[k];
                vf_mask_storeu(d, xm, v);
            }
        }
    }
}
