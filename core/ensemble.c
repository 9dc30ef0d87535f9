/* ensemble.c: flips and transposes of float planes, and their inverses, for self-ensemble
 * inference (the mean of a network's outputs on the eight orientations of its input). */
#include <stddef.h>

#include "ensemble.h"

/* Bits: 1 mirrors x, 2 mirrors y, 4 transposes (after the mirrors). Ordered so that the
 * first 2 and the first 4 are subgroups: identity, transpose, half turn, anti-transpose,
 * then the mirrors and the quarter turns. */
static const unsigned char transforms[ENSEMBLE_MAX] = {0, 4, 3, 7, 1, 2, 5, 6};

int ensemble_transposes(int t)
{
    return (transforms[t] & 4) != 0;
}

/* Where pixel (y, x) of an h x w plane goes under transform t, as an offset. */
static size_t target(int t, int h, int w, int y, int x)
{
    unsigned b = transforms[t];
    int sx = b & 1 ? w - 1 - x : x, sy = b & 2 ? h - 1 - y : y;
    return b & 4 ? (size_t)sx * h + sy : (size_t)sy * w + sx;
}

void ensemble_transform(float *dst, const float *src, int c, int h, int w, int t)
{
    size_t plane = (size_t)h * w;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                dst[k * plane + target(t, h, w, y, x)] = src[k * plane + (size_t)y * w + x];
}

void ensemble_accumulate(float *acc, const float *src, int c, int h, int w, int t)
{
    size_t plane = (size_t)h * w;
    for (int k = 0; k < c; k++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                acc[k * plane + (size_t)y * w + x] += src[k * plane + target(t, h, w, y, x)];
}
