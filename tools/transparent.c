/* transparent.c: summed-area tables of a picture's fully transparent pixels. */
#include <stdlib.h>
#include <string.h>

#include "transparent.h"

int transparent_table(uint32_t **table, size_t *size, const uint8_t *alpha, ptrdiff_t stride, int w,
                      int h)
{
    int any = 0;
    for (int y = 0; alpha && y < h && !any; y++)
        any = memchr(alpha + stride * y, 0, (size_t)w) != NULL;
    if (!any)
        return 0;
    size_t W = (size_t)w + 1, need = W * ((size_t)h + 1);
    if (need > *size) {
        free(*table);
        *table = malloc(sizeof(uint32_t) * need);
        *size = *table ? need : 0;
        if (!*table)
            return -1;
    }
    uint32_t *I = *table;
    memset(I, 0, sizeof(uint32_t) * W);
    for (int y = 0; y < h; y++) {
        uint32_t row = 0;
        I[(y + 1) * W] = 0;
        for (int x = 0; x < w; x++) {
            row += !alpha[stride * y + x];
            I[(y + 1) * W + x + 1] = I[y * W + x + 1] + row;
        }
    }
    return 1;
}
