/* layout.h: one image row between planar channels (CHW: c planes, w floats each) and
 * interleaved pixels (NHWC: w pixels of pc floats), as the fast path's trainer interface
 * converts it around every convolution. 16x16 blocks transposed in AVX-512 registers:
 * element by element, the strided side of the copy cost more than the convolution it
 * served. Call after cpu_has_avx512(). */
#ifndef SRRES_LAYOUT_H
#define SRRES_LAYOUT_H

#include <stddef.h>

/* pixels[x * pc + ch] = planes[ch * plane + x] for x < w, ch < c; channels c..pc-1 of each
 * pixel are set to 0. pc: a multiple of 16, >= c. */
void layout_row_to_pixels(float *pixels, int pc, const float *planes, size_t plane, int c,
                          int w);

/* planes[ch * plane + x] = (or += with accumulate) pixels[x * pc + ch] for x < w, ch < c. */
void layout_row_to_planes(float *planes, size_t plane, const float *pixels, int pc, int c,
                          int w, int accumulate);

#endif
