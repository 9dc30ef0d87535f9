/* transparent.h: a picture's fully transparent pixels (alpha 0), whose stored colours mean
 * nothing, counted over any rectangle from a summed-area table: the trainer draws no patch
 * from them and srres-eval scores none of them. */
#ifndef SRRES_TRANSPARENT_H
#define SRRES_TRANSPARENT_H

#include <stddef.h>
#include <stdint.h>

/* (*table)[y * (w + 1) + x] = the fully transparent pixels of alpha (w x h, `stride` bytes
 * from a row to the next) above and left of (x, y), in a buffer the caller frees, grown as
 * needed (*size entries). Returns 1; 0 where alpha is NULL or has none (no table is made:
 * every rectangle is clear); -1 when out of memory. */
int transparent_table(uint32_t **table, size_t *size, const uint8_t *alpha, ptrdiff_t stride, int w,
                      int h);

/* The fully transparent pixels in [x0, x1) x [y0, y1), from a table made for width w. */
static inline uint32_t transparent_in(const uint32_t *table, int w, int x0, int y0, int x1, int y1)
{
    size_t W = (size_t)w + 1;
    return table[y1 * W + x1] - table[y0 * W + x1] - table[y1 * W + x0] + table[y0 * W + x0];
}

#endif
