/* residual.c: the skip connections: block and global residuals, and the image skip. */
#include "layers.h"

void residual_forward(float *out, const float *a, const float *b, size_t count)
{
    for (size_t i = 0; i < count; i++)
        out[i] = a[i] + b[i];
}

void residual_backward(float *da, float *db, const float *dout, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (da)
            da[i] += dout[i];
        if (db)
            db[i] += dout[i];
    }
}

void nearest_skip_forward(float *out, const float *lr, int c, int s, int n, int h, int w)
{
    size_t out_w = (size_t)w * s;
    for (size_t row = 0; row < (size_t)c * n * h; row++) {
        const float *src = lr + row * w;
        for (int i = 0; i < s; i++) {
            float *dst = out + (row * s + i) * out_w;
            for (int x = 0; x < w; x++)
                for (int j = 0; j < s; j++)
                    dst[(size_t)x * s + j] += src[x];
        }
    }
}
