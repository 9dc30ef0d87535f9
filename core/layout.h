/* layout.h: one image row between planar channels (CHW: planes `plane` floats apart) and
 * interleaved pixels (NHWC: pixels `stride` floats apart), sixteen channels at a time, as
 * the fast path's trainer interface converts maps around every convolution. 16x16 blocks
 * transposed in AVX-512 registers: element by element, the strided side of the copy cost
 * more than the convolution it served. A whole map is best converted block by block, each
 * over every row: sixteen read streams instead of one per channel (2 to 3 times faster on
 * maps that are not in cache). Call after cpu_has_avx512(); the *_avx2 twins
 * (8x8 transposes, same arguments and results) after cpu_has_avx2_fma(). Both are compiled
 * from layout_template.c. */
#ifndef SRRES_LAYOUT_H
#define SRRES_LAYOUT_H

#include <stddef.h>

/* pixels[x * stride + k] = planes[k * plane + x] for x < w, k < c; channels c..15 of each
 * pixel's block are set to 0. 0 <= c <= 16. */
void layout_block_to_pixels(float *pixels, int stride, const float *planes, size_t plane,
                            int c, int w);

/* planes[k * plane + x] = (or += with accumulate) pixels[x * stride + k] for x < w, k < c;
 * 0 <= c <= 16. All 16 floats of each pixel's block are read. */
void layout_block_to_planes(float *planes, size_t plane, const float *pixels, int stride,
                            int c, int w, int accumulate);

void layout_block_to_pixels_avx2(float *pixels, int stride, const float *planes, size_t plane,
                                 int c, int w);
void layout_block_to_planes_avx2(float *planes, size_t plane, const float *pixels, int stride,
                                 int c, int w, int accumulate);

#endif
