/* fmap.h: feature maps of the fast path: one image, channels innermost (NHWC), channels
 * padded to a multiple of 16 (one AVX-512 vector) and a zero border of `pad` pixels, so
 * kernels read neighbourhoods without bounds checks and write whole vectors. */
#ifndef SRRES_FMAP_H
#define SRRES_FMAP_H

#include <stddef.h>

typedef struct fmap {
    float *data;
    int h, w;   /* image pixels */
    int pad;    /* zero pixels around them (the buffer has more at the bottom/right) */
    int c;      /* channels per pixel, a multiple of 16 */
    size_t row; /* floats per buffer row */
} fmap;

static inline float *fmap_at(const fmap *m, int y, int x)
{
    return m->data + (size_t)(y + m->pad) * m->row + (size_t)(x + m->pad) * m->c;
}

/* Buffer rows of an n-row map, or columns of an n-wide one: whole Winograd tiles, the
 * border on both sides, and 4 spare. */
static inline size_t fmap_span(int n, int pad)
{
    return (size_t)((n + 3) / 4 * 4) + 2 * (size_t)pad + 4;
}

/* Channels rounded up to whole vectors. */
static inline int fmap_channels(int c)
{
    return (c + 15) & ~15;
}

#endif
