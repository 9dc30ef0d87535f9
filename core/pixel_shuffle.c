/* pixel_shuffle.c: sub-pixel rearrangement (Shi et al. 2016), PyTorch's channel order. */
#include "layers.h"

void pixel_shuffle_forward(float *out, const float *in, int c, int r, int n, int h, int w)
{
    size_t in_plane = (size_t)n * h * w, out_w = (size_t)w * r;
    for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                const float *src = in + ((size_t)ch * r * r + i * r + j) * in_plane;
                float *dst = out + (size_t)ch * in_plane * r * r + i * out_w + j;
                for (size_t row = 0; row < (size_t)n * h; row++)
                    for (int x = 0; x < w; x++)
                        dst[row * r * out_w + (size_t)x * r] = src[row * w + x];
            }
}

void pixel_shuffle_backward(float *dinp, const float *dout, int c, int r, int n, int h, int w)
{
    size_t in_plane = (size_t)n * h * w, out_w = (size_t)w * r;
    for (int ch = 0; ch < c; ch++)
        for (int i = 0; i < r; i++)
            for (int j = 0; j < r; j++) {
                float *dst = dinp + ((size_t)ch * r * r + i * r + j) * in_plane;
                const float *src = dout + (size_t)ch * in_plane * r * r + i * out_w + j;
                for (size_t row = 0; row < (size_t)n * h; row++)
                    for (int x = 0; x < w; x++)
                        dst[row * w + x] += src[row * r * out_w + (size_t)x * r];
            }
}
