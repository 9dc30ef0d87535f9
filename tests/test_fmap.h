/* test_fmap.h: what the 9x9 kernels' tests (test_direct_conv.c, test_tail_winograd.c) share:
 * feature maps with random live channels, and the plain double-precision convolution. */
#ifndef SRRES_TEST_FMAP_H
#define SRRES_TEST_FMAP_H

#include "fmap.h"
#include "test_util.h"

/* An h x w map of c channels and a zero border of pad, its first `live` channels uniform in
 * [0, 1) from rng (none without one), the rest zero. */
static inline fmap make_map(int h, int w, int pad, int c, int live, srres_rng *rng)
{
    size_t cols = fmap_span(w, pad), rows = fmap_span(h, pad);
    fmap m = {aligned_alloc(64, rows * cols * c * sizeof(float)), h, w, pad, c, cols * c};
    assert_non_null(m.data);
    memset(m.data, 0, rows * cols * c * sizeof(float));
    for (int y = 0; rng && y < h; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < live; k++)
                fmap_at(&m, y, x)[k] = (float)srres_rng_uniform(rng);
    return m;
}

/* Output co at (y, x) of the 9x9 convolution of in's cin channels by OIHW w, zero outside
 * the image. */
static inline double ref9(const fmap *in, const float *w, int cin, int co, int y, int x)
{
    double s = 0;
    for (int ci = 0; ci < cin; ci++)
        for (int ky = 0; ky < 9; ky++)
            for (int kx = 0; kx < 9; kx++) {
                int sy = y + ky - 4, sx = x + kx - 4;
                if (sy >= 0 && sy < in->h && sx >= 0 && sx < in->w)
                    s += (double)w[((co * cin + ci) * 9 + ky) * 9 + kx] * fmap_at(in, sy, sx)[ci];
            }
    return s;
}

#endif
